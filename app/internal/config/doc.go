// Package config loads the API's settings from the environment, using only the
// variable names fixed in package contract. Every problem is reported with the
// name of the variable at fault, so a task that fails to start says which part
// of its task definition is wrong.
package config
