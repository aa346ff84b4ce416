package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// describeMachine says what the run ran on, generically: cores, CPU model,
// memory, OS and architecture.
func describeMachine() string {
	model := "unknown CPU"
	memGB := 0.0
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		model = cpuModel(bufio.NewScanner(f), model)
		_ = f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		memGB = memTotalGB(bufio.NewScanner(f))
		_ = f.Close()
	}
	s := fmt.Sprintf("%d cores (%s)", runtime.NumCPU(), model)
	if memGB > 0 {
		s += fmt.Sprintf(", %.0f GB RAM", memGB)
	}
	return s + ", " + runtime.GOOS + "/" + runtime.GOARCH
}

// cpuModel finds the first "model name" in /proc/cpuinfo.
func cpuModel(sc *bufio.Scanner, fallback string) string {
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return fallback
}

// memTotalGB reads MemTotal from /proc/meminfo.
func memTotalGB(sc *bufio.Scanner) float64 {
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return kb / (1 << 20)
			}
		}
	}
	return 0
}
