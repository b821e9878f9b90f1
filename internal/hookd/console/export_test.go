package console

import "testing"

// SetListPages makes the console read the API's lists in pages of size and
// stop a count after pages of them, until the test ends. Call it before
// hookdtest.Start, so that hookd has stopped (and its recoveries with it)
// when the sizes are put back.
func SetListPages(t testing.TB, size, pages int) {
	oldSize, oldPages := listPageSize, maxListPages
	listPageSize, maxListPages = size, pages
	t.Cleanup(func() { listPageSize, maxListPages = oldSize, oldPages })
}
