// Package dbsecret reads the database user name and password from an AWS
// Secrets Manager secret when a connection is opened, caching them briefly and
// fetching them again at once when the database refuses them, so a rotated
// password is picked up without a restart.
package dbsecret
