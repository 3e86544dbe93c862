package image

import (
	"bytes"
	"encoding/pem"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// caBundle is the Mozilla NSS root store as Go's x509roots/fallback module
// pins it (a version in go.mod, so every machine builds the same bundle),
// in PEM, at the path Go's crypto/x509 reads first on Linux. Roots the
// store constrains in ways PEM cannot carry (a distrust date) are left out:
// in a plain bundle they would be trusted without the constraint.
func caBundle() []byte {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return buf.Bytes()
}
