//go:build clientonly

package main

import "errors"

// startEmbedded: this build has no embedded server; give -url.
func startEmbedded() (string, func(), error) {
	return "", nil, errors.New("built with -tags clientonly: give -url")
}
