// Package domain holds the rules of the enterprise skill-level certification pilot as pure
// functions: who is who (roles, jurisdiction domains), the campaign calendar and which campaign
// takes an application, the scope rules (approved ⊆ applied, a sitting within the approved
// scope), the sitting rules (exam date, assessors), and the seeded random draw with recusal that
// both the expert panels and the supervision draws use. It does no I/O; the workflows'
// validators, the API's use cases and the activities call it, so that each rule has one home.
//
// The README's "where is the rule" table lists each rule with its function and its test.
package domain
