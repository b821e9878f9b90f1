package provider

import (
	"testing"
)

func TestListPageSize(t *testing.T) {
	for limit, want := range map[int64]int{1: 1, 100: 100, 1000: 1000, 1001: 1000, 50000: 1000, 0: 1000, -1: 1000} {
		if got := listPageSize(limit); got != want {
			t.Errorf("listPageSize(%d) = %d, want %d", limit, got, want)
		}
	}
}
