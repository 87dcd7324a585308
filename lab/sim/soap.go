package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// Namespaces, matched by URI, never by prefix (clients use different ones).
const (
	nsSOAP      = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr      = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan     = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsMSWSMan   = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsShell     = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsTransfer  = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsFault     = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	resourceCmd = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"

	actionCreate   = nsTransfer + "/Create"
	actionDelete   = nsTransfer + "/Delete"
	actionCommand  = nsShell + "/Command"
	actionSend     = nsShell + "/Send"
	actionReceive  = nsShell + "/Receive"
	actionSignal   = nsShell + "/Signal"
	actionFault    = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	stateDone      = nsShell + "/CommandState/Done"
	stateRunning   = nsShell + "/CommandState/Running"
	signalTerm     = nsShell + "/signal/terminate"
	anonymousReply = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
)

// request is a decoded WS-Management request: the envelope's header and
// whichever shell body it carries.
type request struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  struct {
		Action           string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
		MessageID        string        `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
		ResourceURI      string        `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd ResourceURI"`
		MaxEnvelopeSize  string        `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd MaxEnvelopeSize"`
		OperationTimeout string        `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
		Selectors        []selector    `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet>Selector"`
		Options          []wsmanOption `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OptionSet>Option"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body struct {
		Shell       *struct{} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
		CommandLine *struct {
			CommandID string   `xml:"CommandId,attr"`
			Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
			Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
		Send *struct {
			Streams []struct {
				Name      string `xml:"Name,attr"`
				CommandID string `xml:"CommandId,attr"`
				End       string `xml:"End,attr"`
				Data      string `xml:",chardata"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
		Receive *struct {
			DesiredStream struct {
				CommandID string `xml:"CommandId,attr"`
				Streams   string `xml:",chardata"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
		Signal *struct {
			CommandID string `xml:"CommandId,attr"`
			Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type selector struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type wsmanOption struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

// decodeRequest parses a request envelope. A body that is not a SOAP 1.2
// envelope, or lacks an Action or MessageID, is a *wsmanFault.
func decodeRequest(body []byte) (*request, error) {
	var req request
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&req); err != nil {
		return nil, faultInvalidXML(err.Error())
	}
	h := &req.Header
	h.Action = strings.TrimSpace(h.Action)
	h.MessageID = strings.TrimSpace(h.MessageID)
	h.ResourceURI = strings.TrimSpace(h.ResourceURI)
	if h.Action == "" || h.MessageID == "" {
		return nil, faultInvalidHeader("the request has no a:Action or a:MessageID header")
	}
	return &req, nil
}

func (r *request) selector(name string) string {
	for _, s := range r.Header.Selectors {
		if strings.EqualFold(s.Name, name) {
			return strings.TrimSpace(s.Value)
		}
	}
	return ""
}

func (r *request) option(name string) string {
	for _, o := range r.Header.Options {
		if strings.EqualFold(o.Name, name) {
			return strings.TrimSpace(o.Value)
		}
	}
	return ""
}

// timeout is the request's OperationTimeout capped at max (Windows caps it
// at 60 s); def when absent or unparsable.
func (r *request) timeout(def, max time.Duration) time.Duration {
	d, ok := parseISODuration(r.Header.OperationTimeout)
	if !ok || d <= 0 {
		d = def
	}
	if d > max {
		d = max
	}
	return d
}

// maxEnvelope is the response size the client accepts, in bytes.
func (r *request) maxEnvelope() int {
	var n int
	if _, err := fmt.Sscan(strings.TrimSpace(r.Header.MaxEnvelopeSize), &n); err != nil || n < 8192 {
		return 153600 // the WS-Management default
	}
	return n
}

// parseISODuration reads the xs:duration forms clients send: PT60S, PT60.000S, PT1M30S, P0DT0H0M20S.
func parseISODuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "P") {
		return 0, false
	}
	s = s[1:]
	var total time.Duration
	inTime := false
	for len(s) > 0 {
		if s[0] == 'T' {
			inTime = true
			s = s[1:]
			continue
		}
		i := strings.IndexAny(s, "YMWDHS")
		if i <= 0 {
			return 0, false
		}
		var v float64
		if _, err := fmt.Sscanf(s[:i], "%g", &v); err != nil || v < 0 {
			return 0, false
		}
		var unit time.Duration
		switch s[i] {
		case 'D':
			unit = 24 * time.Hour
		case 'H':
			unit = time.Hour
		case 'M':
			if !inTime {
				return 0, false // months are not a fixed length
			}
			unit = time.Minute
		case 'S':
			unit = time.Second
		default:
			return 0, false
		}
		total += time.Duration(v * float64(unit))
		s = s[i+1:]
	}
	return total, true
}
