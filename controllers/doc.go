// Package controllers holds the DocuFlowStack reconciler: it turns a stack into
// ACK resources, applies them, and reports their state on the stack's status.
package controllers
