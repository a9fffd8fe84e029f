package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; 100 on Linux.
const clockTicks = 100

// cpuTimes is a process's user and system CPU time so far.
func cpuTimes(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name, which may hold spaces, in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("bench: odd /proc stat %q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("bench: short /proc stat %q", s)
	}
	// utime and stime are fields 14 and 15 of stat, 12 and 13 here.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut) * time.Second / clockTicks, time.Duration(st) * time.Second / clockTicks, nil
}

// rss is a process's resident memory in bytes.
func rss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("bench: no VmRSS for %d", pid)
}

// usage samples the CPU and memory of a set of processes over a window.
type usage struct {
	pids    []int
	cpu0    time.Duration
	sys0    time.Duration
	start   time.Time
	rssSum  float64
	rssMax  int64
	samples int
}

func startUsage(pids []int) *usage {
	u := &usage{pids: pids, start: time.Now()}
	for _, p := range pids {
		c, s, _ := cpuTimes(p)
		u.cpu0 += c + s
		u.sys0 += s
	}
	return u
}

// sample adds one reading of the processes' total resident memory.
func (u *usage) sample() {
	var total int64
	for _, p := range u.pids {
		r, _ := rss(p)
		total += r
	}
	u.rssSum += float64(total)
	u.samples++
	u.rssMax = max(u.rssMax, total)
}

// result is CPU seconds used (Sys of them in the kernel) and the mean
// resident memory over the window.
type result struct {
	CPU     time.Duration
	Sys     time.Duration
	Wall    time.Duration
	MeanRSS int64
	MaxRSS  int64
}

func (u *usage) stop() result {
	var cpu, sys time.Duration
	for _, p := range u.pids {
		c, s, _ := cpuTimes(p)
		cpu += c + s
		sys += s
	}
	r := result{CPU: cpu - u.cpu0, Sys: sys - u.sys0, Wall: time.Since(u.start), MaxRSS: u.rssMax}
	if u.samples > 0 {
		r.MeanRSS = int64(u.rssSum / float64(u.samples))
	}
	return r
}

// machineBusy is the CPU time all processes and the kernel spent so far,
// from /proc/stat: everything but idle and waiting for I/O.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// diskWritten is what the machine has written to disk so far, in bytes,
// from /proc/vmstat (pgpgout counts kilobytes).
func diskWritten() int64 {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "pgpgout "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n << 10
		}
	}
	return 0
}
