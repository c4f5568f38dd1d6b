package proofs

// smokeFaults prove the smoke checks beyond TestInfrastructure.
func smokeFaults() []Fault {
	return nil
}
