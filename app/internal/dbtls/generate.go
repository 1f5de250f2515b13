package dbtls

// Before a release, replace the embedded bundle with AWS's own download,
// checked (README.md in this directory): go generate ./internal/dbtls/ from app/
//go:generate go run fetchbundle.go -out rds-global-bundle.pem
