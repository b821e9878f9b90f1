//go:build race

package console_test

// raceEnabled: under -race, modernc's SQLite (C translated to Go) runs
// tens of times slower, and timings say nothing about the console.
const raceEnabled = true
