// Package transport is sturdy's WebSocket (RFC 6455) layer: the opening
// handshake for clients (Dial) and servers (Accept), the frame codec, and
// Conn, one connection that reads and writes whole messages and runs the
// close handshake. It knows nothing of reconnecting; package client builds
// that on top. It imports nothing outside the standard library.
//
// # Client and server
//
// Dial connects to a ws:// or wss:// URL, directly or through a proxy
// (http:// and https:// with CONNECT, socks5:// and socks5h://, chosen by
// DialOptions.Proxy or the environment, see ProxyFromEnvironment), and
// returns a client Conn. For wss, TLS with the server runs inside the
// proxy's tunnel; ClientCertificateFiles gives a client certificate that
// is read from disk again at every dial, so a rotated one is used on the
// next reconnect. Accept turns an HTTP request
// received by a net/http handler into a server Conn; sturdy uses it for the
// wstest package, the examples and the tests, and it suits small servers.
// Both take a pointer to an options struct whose zero value (or nil) works.
//
// # Concurrency
//
// Writes (Write, WriteBuffered, Flush, Writer, Ping, Close) are safe for
// concurrent use, and a message is never interleaved with another. Reads
// (Read, ReadInto, Reader) allow one reader at a time. Control frames are
// handled by whichever goroutine is reading: pings are answered as soon as
// they are read. When no read call has finished for 20–40 ms and none is
// in progress, the Conn reads on its own, on a goroutine that lives only while
// it does: it answers pings, passes pongs to OnPong, and stops at the next
// data message or close frame, which waits for the application. So a Conn stays
// responsive while the application is busy, except that a ping sent after
// a message the application has not read yet waits for that read (the
// stream is in order, and the Conn does not buffer messages for you).
// OnPing and OnPong run on whichever goroutine read the frame, so they must
// not block, read, or call Close. Every call that can block takes a context;
// cancelling it aborts that call only, except in the middle of a message
// (part of it already read or written), where the message cannot be
// completed and the connection fails.
//
// # Large messages and slow links
//
// A message longer than the fragment size (DialOptions.FragmentSize,
// default 32 KiB) is sent as fragments, and pings, pongs and close frames
// written meanwhile go out between two fragments, so a heartbeat is not
// stuck behind a message that takes a minute to cross the link. The write
// timeout (DialOptions.WriteTimeout) bounds how long the socket may take
// none of a write's bytes, not how long the write takes: a large message
// on a slow link goes through while it moves, and a peer that stops
// reading fails the connection within the timeout. Conn.BytesWritten and
// Conn.WriteProgress let a liveness check see that progress.
//
// # Errors
//
// Errors work with errors.Is and errors.As. A handshake the server refuses
// gives a *HandshakeError with the HTTP status, header, the start of the
// body and any Retry-After; a proxy that refuses the credentials gives a
// *ProxyAuthError, one that refuses the tunnel otherwise a *ProxyError; a
// certificate that fails verification (the server's or an https
// proxy's) gives the standard library's *tls.CertificateVerificationError;
// Accept
// reports a bad request as an *AcceptError. Sentinels cover bad input
// (ErrInvalidURL, ErrReservedHeader, ErrInvalidHeader) and bad responses
// (ErrMalformedResponse, ErrResponseTooLarge). Once open, a connection ends
// with a *CloseError (the peer's close frame, or 1006 for a connection lost
// without one) or a *ProtocolError (the peer broke the protocol, and the
// connection was failed with the code in it); CloseStatus extracts the
// code. Operations on an ended Conn return an error matching ErrClosed.
//
// A write that finds the peer gone (the system reports a broken pipe or a
// reset) fails, and so do later writes, but the Conn does not end there:
// what the peer sent before it closed may still be waiting to be read, so
// the read side stays open until the reader reaches the end of the stream,
// or for at most the close timeout, and the Conn then ends with the
// write's error. Err is nil meanwhile (WriteBroken reports the state);
// Close sends no close frame and reports the handshake incomplete.
//
// Errors are safe to log: URLs lose their user info and query, header
// values (Authorization, Cookie, Proxy-Authorization) are never printed,
// proxy credentials (Basic or SOCKS5) never appear, and
// HandshakeError.Header omits Set-Cookie.
//
// # Masking and randomness
//
// A client masks every frame it sends and a server never does (RFC 6455
// §5.1); each side fails the connection with 1002 when the peer gets this
// wrong. Masking keys come from a ChaCha8 generator seeded per connection
// from crypto/rand (made with the first data frame; control frames sent
// before it draw their keys from crypto/rand directly), and handshake keys
// from crypto/rand directly.
//
// # Compression
//
// DialOptions.Compression offers permessage-deflate (RFC 7692) and
// AcceptOptions.Compression accepts it; it is off by default, for the
// reasons given on CompressionOptions. The client checks the server's
// answer strictly (RFC 7692 §7): an unknown, repeated or malformed
// parameter, a window it did not offer to limit, or permessage-deflate
// twice fails Dial with a *HandshakeError matching ErrExtension, while the
// answers the RFC allows (server_no_context_takeover unasked, errata 4982;
// client_no_context_takeover left out) are accepted. Conn.Compression
// reports the outcome. Messages at or over CompressionOptions.Threshold
// are compressed, with RSV1 on their first frame only; RSV1 anywhere else
// fails the connection with 1002, corrupt compressed data with 1007.
// Compression uses compress/flate; its compressor and decompressor are
// created on first use and reused, so compressed messages allocate
// nothing in steady state, and a connection without compression pays
// nothing.
//
// # Limits
//
// Inbound messages are bounded by the read limit (DefaultReadLimit unless
// set), control frames by RFC 6455's 125 bytes, and a handshake response's
// status line and header by 16 KiB and 128 fields, so a hostile peer
// cannot make a Conn allocate without bound. For a compressed message the
// read limit applies to the decompressed size and is enforced while
// decompressing: a small message that would inflate to gigabytes fails
// with 1009 after producing the limit's worth, and ReadInto's buffer never
// grows past the limit.
package transport
