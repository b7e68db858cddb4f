package transport

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// maxCloseReason is the longest reason that fits a close frame: the 125-byte
// control payload less the 2-byte code.
const maxCloseReason = MaxControlPayload - 2

// validWireCode reports whether code may appear in a close frame
// (RFC 6455 §7.4). 1005, 1006 and 1015 are reserved for local use and must
// never be sent; 1004 and 1016–2999 are reserved or unassigned; 3000–4999
// belong to libraries and applications.
func validWireCode(code StatusCode) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// ParseClosePayload decodes the payload of a close frame. An empty payload
// means no status was given (StatusNoStatusReceived). It returns a
// *ProtocolError with the code RFC 6455 prescribes for a malformed payload:
// 1002 for a 1-byte payload or a code that may not be sent, 1007 for a reason
// that is not valid UTF-8.
func ParseClosePayload(p []byte) (StatusCode, string, error) {
	switch {
	case len(p) == 0:
		return StatusNoStatusReceived, "", nil
	case len(p) == 1:
		return 0, "", &ProtocolError{Code: StatusProtocolError, Msg: "close frame with a 1-byte payload"}
	case len(p) > MaxControlPayload:
		return 0, "", &ProtocolError{Code: StatusProtocolError, Msg: "close payload over 125 bytes"}
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	if !validWireCode(code) {
		return 0, "", &ProtocolError{Code: StatusProtocolError, Msg: "invalid close code " + code.String()}
	}
	reason := p[2:]
	if !utf8.Valid(reason) {
		return 0, "", &ProtocolError{Code: StatusInvalidFramePayloadData, Msg: "close reason is not valid UTF-8"}
	}
	return code, string(reason), nil
}

// errBadCloseArgs is returned by Close for a code or reason that cannot be
// sent; the connection is left open.
var errBadCloseArgs = errors.New("transport: close code may not be sent, or reason is over 123 bytes or not UTF-8")

// appendClosePayload appends the payload of a close frame for code and
// reason. StatusNoStatusReceived gives the empty payload.
func appendClosePayload(dst []byte, code StatusCode, reason string) []byte {
	if code == StatusNoStatusReceived {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// CheckCloseArgs reports whether a close frame may carry code and reason
// (RFC 6455 §5.5.1, §7.4): a code that may be sent (1000–1003, 1007–1014,
// 3000–4999) and a reason of at most 123 bytes of UTF-8. Close refuses
// anything else with this error; test servers that build close frames use
// it to apply the same rule.
func CheckCloseArgs(code StatusCode, reason string) error {
	if !validWireCode(code) || len(reason) > maxCloseReason || !utf8.ValidString(reason) {
		return errBadCloseArgs
	}
	return nil
}
