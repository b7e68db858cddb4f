// Package wsraw is the smallest WebSocket framer that still speaks RFC 6455
// correctly for the benchmark's own traffic: a fixed-form opening handshake
// for each side, frame headers read from and written to bufio buffers, and
// masking eight bytes at a time. It supports no extensions, no
// fragmentation on send and no UTF-8 checks; the benchmark server is built
// on it, and so is the raw-TCP driver that stands for the practical limit
// of any library.
package wsraw
