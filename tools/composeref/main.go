// Command composeref loads one compose file with compose-go, the loader that Docker Compose and
// kompose use, and prints its services as normalised JSON. tests/test_compose_reference.py
// compares that JSON with what core.compose.loading makes of the same file.
//
// Usage: composeref [-e KEY=VALUE]... FILE
//
// Variables come from the -e flags, then the process environment, then `.env` beside the file:
// the same order as core.compose.loading. Every profile is enabled, so every service is printed.
// On success it prints {"name", "services", "disabled"} and exits 0; when compose-go rejects the
// file it prints {"error": "..."} and exits 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

type port struct {
	Target    uint32  `json:"target"`
	Published *string `json:"published"`
	HostIP    *string `json:"host_ip"`
	Protocol  string  `json:"protocol"`
}

type volume struct {
	Type      string  `json:"type"`
	Source    *string `json:"source"`
	Target    string  `json:"target"`
	ReadOnly  bool    `json:"read_only"`
	Subpath   *string `json:"subpath"`
	TmpfsSize *int64  `json:"tmpfs_size"`
}

type healthcheck struct {
	Test          []string `json:"test"`
	Interval      *float64 `json:"interval"`
	Timeout       *float64 `json:"timeout"`
	Retries       *uint64  `json:"retries"`
	StartPeriod   *float64 `json:"start_period"`
	StartInterval *float64 `json:"start_interval"`
	Disable       bool     `json:"disable"`
}

type resources struct {
	CPULimit      *float64 `json:"cpu_limit"`
	MemoryLimit   *int64   `json:"memory_limit"`
	CPURequest    *float64 `json:"cpu_request"`
	MemoryRequest *int64   `json:"memory_request"`
	GPUs          *int64   `json:"gpus"`
}

type dependency struct {
	Condition string `json:"condition"`
	Required  bool   `json:"required"`
}

type service struct {
	Image           *string               `json:"image"`
	Ports           []port                `json:"ports"`
	Expose          []string              `json:"expose"`
	Environment     map[string]*string    `json:"environment"`
	Command         []string              `json:"command"`
	Entrypoint      []string              `json:"entrypoint"`
	Healthcheck     *healthcheck          `json:"healthcheck"`
	Volumes         []volume              `json:"volumes"`
	Tmpfs           []string              `json:"tmpfs"`
	Profiles        []string              `json:"profiles"`
	Replicas        *int                  `json:"replicas"`
	Restart         string                `json:"restart"`
	User            string                `json:"user"`
	WorkingDir      string                `json:"working_dir"`
	Labels          map[string]string     `json:"labels"`
	DependsOn       map[string]dependency `json:"depends_on"`
	CapAdd          []string              `json:"cap_add"`
	CapDrop         []string              `json:"cap_drop"`
	Privileged      bool                  `json:"privileged"`
	ExtraHosts      [][2]string           `json:"extra_hosts"`
	StopGracePeriod *float64              `json:"stop_grace_period"`
	Resources       resources             `json:"resources"`
}

func seconds(d *types.Duration) *float64 {
	if d == nil {
		return nil
	}
	s := time.Duration(*d).Seconds()
	return &s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func convert(s types.ServiceConfig) service {
	out := service{
		Image:       optional(s.Image),
		Ports:       []port{},
		Expose:      []string(s.Expose),
		Environment: map[string]*string(s.Environment),
		Volumes:     []volume{},
		Tmpfs:       []string(s.Tmpfs),
		Profiles:    s.Profiles,
		Restart:     s.Restart,
		User:        s.User,
		WorkingDir:  s.WorkingDir,
		Labels:      map[string]string(s.Labels),
		DependsOn:   map[string]dependency{},
		CapAdd:      s.CapAdd,
		CapDrop:     s.CapDrop,
		Privileged:  s.Privileged,
		ExtraHosts:  [][2]string{},
	}
	if s.Command != nil {
		out.Command = []string(s.Command)
	}
	if s.Entrypoint != nil {
		out.Entrypoint = []string(s.Entrypoint)
	}
	for _, p := range s.Ports {
		out.Ports = append(out.Ports, port{
			Target: p.Target, Published: optional(p.Published), HostIP: optional(p.HostIP), Protocol: p.Protocol,
		})
	}
	for _, v := range s.Volumes {
		vol := volume{Type: v.Type, Source: optional(v.Source), Target: v.Target, ReadOnly: v.ReadOnly}
		if v.Volume != nil {
			vol.Subpath = optional(v.Volume.Subpath)
		}
		if v.Tmpfs != nil && v.Tmpfs.Size != 0 {
			size := int64(v.Tmpfs.Size)
			vol.TmpfsSize = &size
		}
		out.Volumes = append(out.Volumes, vol)
	}
	if h := s.HealthCheck; h != nil {
		out.Healthcheck = &healthcheck{
			Test: []string(h.Test), Interval: seconds(h.Interval), Timeout: seconds(h.Timeout),
			Retries: h.Retries, StartPeriod: seconds(h.StartPeriod), StartInterval: seconds(h.StartInterval),
			Disable: h.Disable,
		}
	}
	for name, dep := range s.DependsOn {
		out.DependsOn[name] = dependency{Condition: dep.Condition, Required: dep.Required}
	}
	hosts := make([]string, 0, len(s.ExtraHosts))
	for host := range s.ExtraHosts {
		hosts = append(hosts, host)
	}
	sort.Strings(hosts)
	for _, host := range hosts {
		for _, ip := range s.ExtraHosts[host] {
			out.ExtraHosts = append(out.ExtraHosts, [2]string{host, ip})
		}
	}
	out.StopGracePeriod = seconds(s.StopGracePeriod)
	if d := s.Deploy; d != nil {
		out.Replicas = d.Replicas
		if l := d.Resources.Limits; l != nil {
			out.Resources.CPULimit, out.Resources.MemoryLimit = cpu(l.NanoCPUs), memory(l.MemoryBytes)
		}
		if r := d.Resources.Reservations; r != nil {
			out.Resources.CPURequest, out.Resources.MemoryRequest = cpu(r.NanoCPUs), memory(r.MemoryBytes)
			for _, dev := range r.Devices {
				for _, c := range dev.Capabilities {
					if c == "gpu" {
						count := int64(dev.Count)
						if count == 0 && len(dev.IDs) > 0 {
							count = int64(len(dev.IDs))
						}
						out.Resources.GPUs = &count
					}
				}
			}
		}
	}
	// Service-level forms of the same settings (compose-go keeps them apart from deploy).
	if out.Resources.MemoryLimit == nil && s.MemLimit != 0 {
		out.Resources.MemoryLimit = memory(s.MemLimit)
	}
	if out.Resources.MemoryRequest == nil && s.MemReservation != 0 {
		out.Resources.MemoryRequest = memory(s.MemReservation)
	}
	if out.Resources.CPULimit == nil && s.CPUS != 0 {
		out.Resources.CPULimit = cpu(types.NanoCPUs(s.CPUS))
	}
	if s.Scale != nil {
		out.Replicas = s.Scale
	}
	for _, dev := range s.Gpus {
		count := int64(dev.Count)
		if count == 0 && len(dev.IDs) > 0 {
			count = int64(len(dev.IDs))
		}
		out.Resources.GPUs = &count
	}
	return out
}

func cpu(n types.NanoCPUs) *float64 {
	if n == 0 {
		return nil
	}
	// NanoCPUs is a float32: go through its decimal form so 0.2 stays 0.2.
	var f float64
	fmt.Sscan(fmt.Sprint(float32(n)), &f)
	return &f
}

func memory(b types.UnitBytes) *int64 {
	if b == 0 {
		return nil
	}
	v := int64(b)
	return &v
}

func fail(err error) {
	json.NewEncoder(os.Stdout).Encode(map[string]string{"error": err.Error()})
	os.Exit(1)
}

func main() {
	var env envFlags
	flag.Var(&env, "e", "KEY=VALUE variable for interpolation (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: composeref [-e KEY=VALUE]... FILE")
		os.Exit(2)
	}
	logrus.SetOutput(os.Stderr)
	logrus.SetLevel(logrus.ErrorLevel)
	path, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	options, err := cli.NewProjectOptions(
		[]string{path},
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithEnv(env),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	services := map[string]service{}
	for name, s := range project.Services {
		services[name] = convert(s)
	}
	disabled := []string{}
	for name := range project.DisabledServices {
		disabled = append(disabled, name)
	}
	sort.Strings(disabled)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(map[string]any{"name": project.Name, "services": services, "disabled": disabled}); err != nil {
		fail(err)
	}
}
