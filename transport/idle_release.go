package transport

// ReleaseIdle lets go of the write buffer and the masking-key generator
// when no frame has gone through the buffer since the previous call, and
// reports whether the connection now holds neither. An owner that calls it
// on a period (sturdy's Client does, with each heartbeat ping) keeps a
// connection gone quiet after sending (a sensor that reported once, a
// session between bursts) as small as one that never sent: its 4 KiB and
// its generator are back within two periods. The next data frame makes
// them again, two allocations per quiet spell and none while frames flow
// between calls. It never waits: while a write is under way it does
// nothing and reports false. Safe for concurrent use.
func (c *Conn) ReleaseIdle() bool {
	w := &c.wr
	if !w.frameSem.tryAcquire() {
		return false
	}
	defer release(w.frameSem)
	if len(w.buf) > 0 {
		return false // frames buffered and not yet flushed (WriteBuffered)
	}
	if !w.used {
		w.buf, w.keys = nil, keySource{}
	}
	w.used = false
	return w.buf == nil
}
