package sim

import (
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
)

// envelopeHead opens every response with the namespaces Windows declares.
const envelopeHead = `<s:Envelope xml:lang="en-US" xmlns:s="` + nsSOAP + `" xmlns:a="` + nsAddr +
	`" xmlns:x="` + nsTransfer + `" xmlns:w="` + nsWSMan + `" xmlns:rsp="` + nsShell + `" xmlns:p="` + nsMSWSMan + `">`

// reply builds a response envelope.
type reply struct{ b strings.Builder }

func newReply(action, relatesTo string) *reply {
	r := &reply{}
	r.b.Grow(1024)
	r.b.WriteString(envelopeHead)
	r.b.WriteString(`<s:Header><a:Action>`)
	r.text(action)
	r.b.WriteString(`</a:Action><a:MessageID>uuid:`)
	r.b.WriteString(newGUID())
	r.b.WriteString(`</a:MessageID><a:To>` + anonymousReply + `</a:To><a:RelatesTo>`)
	r.text(relatesTo)
	r.b.WriteString(`</a:RelatesTo></s:Header><s:Body>`)
	return r
}

func (r *reply) raw(s string) *reply { r.b.WriteString(s); return r }

func (r *reply) text(s string) *reply {
	_ = xml.EscapeText(&r.b, []byte(s))
	return r
}

func (r *reply) String() string { return r.b.String() + `</s:Body></s:Envelope>` }

func faultBody(f *wsmanFault, relatesTo, machine string) string {
	r := newReply(actionFault, relatesTo)
	r.raw(`<s:Fault><s:Code><s:Value>`).text(f.code).raw(`</s:Value><s:Subcode><s:Value>`).text(f.subcode)
	r.raw(`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">`).text(f.reason)
	r.raw(`</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="` + nsFault + `" Code="`).raw(strconv.FormatUint(uint64(f.wsman), 10))
	r.raw(`" Machine="`).text(machine).raw(`"><f:Message>`).text(f.reason).raw(`</f:Message></f:WSManFault></s:Detail></s:Fault>`)
	return r.String()
}

func createReply(relatesTo, endpoint, shellID, owner, clientIP string, idleSeconds int) string {
	r := newReply(nsTransfer+"/CreateResponse", relatesTo)
	r.raw(`<x:ResourceCreated><a:Address>`).text(endpoint).raw(`</a:Address><a:ReferenceParameters><w:ResourceURI>` + resourceCmd +
		`</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">`).text(shellID)
	r.raw(`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`)
	r.raw(`<rsp:Shell><rsp:ShellId>`).text(shellID).raw(`</rsp:ShellId><rsp:ResourceUri>` + resourceCmd + `</rsp:ResourceUri><rsp:Owner>`).text(owner)
	r.raw(`</rsp:Owner><rsp:ClientIP>`).text(clientIP).raw(`</rsp:ClientIP><rsp:IdleTimeOut>PT`).raw(strconv.Itoa(idleSeconds))
	r.raw(`.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>`)
	r.raw(`<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`)
	return r.String()
}

func commandReply(relatesTo, commandID string) string {
	return newReply(nsShell+"/CommandResponse", relatesTo).
		raw(`<rsp:CommandResponse><rsp:CommandId>`).text(commandID).raw(`</rsp:CommandId></rsp:CommandResponse>`).String()
}

func emptyReply(action, relatesTo, body string) string {
	return newReply(action, relatesTo).raw(body).String()
}

// receiveChunk is what one Receive response carries.
type receiveChunk struct {
	stdout, stderr []byte
	done           bool // command finished and all output delivered
	exitCode       int
}

func receiveReply(relatesTo, commandID string, c receiveChunk) string {
	r := newReply(nsShell+"/ReceiveResponse", relatesTo)
	r.raw(`<rsp:ReceiveResponse>`)
	stream := func(name string, data []byte, end bool) {
		r.raw(`<rsp:Stream Name="` + name + `" CommandId="`).text(commandID).raw(`"`)
		if end {
			r.raw(` End="true"`)
		}
		r.raw(`>`).raw(base64.StdEncoding.EncodeToString(data)).raw(`</rsp:Stream>`)
	}
	if len(c.stdout) > 0 {
		stream("stdout", c.stdout, false)
	}
	if len(c.stderr) > 0 {
		stream("stderr", c.stderr, false)
	}
	if c.done {
		stream("stdout", nil, true)
		stream("stderr", nil, true)
		r.raw(`<rsp:CommandState CommandId="`).text(commandID).raw(`" State="` + stateDone + `"><rsp:ExitCode>`)
		r.raw(strconv.Itoa(c.exitCode)).raw(`</rsp:ExitCode></rsp:CommandState>`)
	} else {
		r.raw(`<rsp:CommandState CommandId="`).text(commandID).raw(`" State="` + stateRunning + `"></rsp:CommandState>`)
	}
	r.raw(`</rsp:ReceiveResponse>`)
	return r.String()
}
