package dbtls

// Before a release, replace the embedded bundle with AWS's own download,
// checked (README.md in this directory): go generate ./app/internal/dbtls/
//go:generate go run fetchbundle.go -out rds-global-bundle.pem
