package main

import (
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a ')' in it, as proc(5) allows.
	line := "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 123 45 67 8 20 0 12 0 987654 123456789 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := (procStat{utime: 123, stime: 45, cutime: 67, cstime: 8, starttime: 987654}); st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	for _, bad := range []string{"", "4242 (a S 1", "4242 (a) S 1 2 3", "4242 (a) S 1 4242 4242 0 -1 4194560 1000 0 0 0 x 45 67 8 20 0 12 0 987654"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tterraform-provi\nState:\tS (sleeping)\nVmPeak:\t 1300000 kB\nVmHWM:\t  104512 kB\nVmRSS:\t   98000 kB\n"
	if got, err := parseVmHWM([]byte(status)); err != nil || got != 104512*1024 {
		t.Errorf("got %d, %v", got, err)
	}
	// A zombie: no memory lines.
	if got, err := parseVmHWM([]byte("Name:\tterraform\nState:\tZ (zombie)\n")); err != nil || got != 0 {
		t.Errorf("zombie: got %d, %v", got, err)
	}
	if _, err := parseVmHWM([]byte("VmHWM:\t 12 MB\n")); err == nil {
		t.Error("no error for a unit other than kB")
	}
}

func TestSummarize(t *testing.T) {
	got := summarize(map[procKey]procUsage{
		{1, 10}: {cpu: 150, hwm: 30 << 20},
		{2, 11}: {cpu: 50, hwm: 90 << 20},
		{1, 99}: {cpu: 0, hwm: 20 << 20}, // pid 1 again, another process
	})
	if want := (providerUsage{Procs: 3, CPU: 2 * time.Second, PeakRSS: 90 << 20}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
