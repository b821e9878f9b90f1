//go:build !linux

package main

import (
	"os/exec"
	"syscall"
	"time"
)

// bench reads /proc: Linux only (bench returns errNotLinux first).

func readStat(int) (procStat, error)     { return procStat{}, errNotLinux }
func waitExited(int) error               { return errNotLinux }
func procCPU(int) (time.Duration, error) { return 0, errNotLinux }

type sampler struct{}

func startSampler(string, time.Duration) *sampler { return &sampler{} }
func (*sampler) finish() providerUsage            { return providerUsage{} }

func setProcessGroup(*exec.Cmd)       {}
func signalGroup(int, syscall.Signal) {}
