// Package plan is `docuflow plan`: what applying a DocuFlowStack manifest
// would do, child by child, in AWS's terms. The stack is rendered as the
// operator renders it (controllers.Preview over the live children),
// compared with the live children through server-side dry runs under the
// operator's field manager, and every create, update, replacement and
// deletion is worded from a table of what each ACK kind and field means in
// AWS. Make and the words are pure; Against and Offline gather the inputs.
package plan
