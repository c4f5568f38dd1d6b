package proofs

// errorHandlingSmokeFaults prove TestErrorHandlingSmoke: every error
// categorised "unknown" fails the staging checks of categories too.
func errorHandlingSmokeFaults() []Fault {
	return []Fault{
		{Name: "categories_off", Does: `knob categories_off: every error's category is "unknown"`,
			Action: Knob("categories_off"), Fails: []string{errorCategory, errCategorization, errIntegrated},
			Says: says(`category "unknown"`, errorCategory, errCategorization, errIntegrated)},
	}
}
