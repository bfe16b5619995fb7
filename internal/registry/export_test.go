package registry

// ShortSocketName exposes the short socket name scheme to the black-box tests.
func ShortSocketName(service, instance, suffix string) string {
	return shortRel(service, instance, suffix)
}
