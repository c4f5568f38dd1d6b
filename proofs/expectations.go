package proofs

import "slices"

// says maps each check to the text its failure must contain.
func says(text string, ids ...string) map[string]string {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = text
	}
	return out
}

// merge joins Says maps; a later map wins for a check named twice.
func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// union is the elements of the lists (check IDs, components), each once,
// in order.
func union[T comparable](lists ...[]T) []T {
	var out []T
	for _, l := range lists {
		for _, id := range l {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}
