package main

import (
	"errors"
	"net"
	"strconv"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/config"
)

// Config of the all-in-one binary: every service's settings (the same
// variables their own binaries read) and the process's. Unlike the
// per-service binaries, an empty DATABASE_URL or UPSTATE_NATS_URL means
// "run it myself".
type Config struct {
	HTTPAddr       string        `env:"UPSTATE_HTTP_ADDR" envDefault:"127.0.0.1:8080" doc:"the one HTTP listener: {/api/v1/…}, {/api/webhooks/…}, {/status/…} (and status pages' custom domains), {/healthz}, {/readyz}, {/metrics}; on a loopback address, status page subscribers may be on the loopback too"`
	DataDir        string        `env:"UPSTATE_DATA_DIR" envDefault:"./.data" doc:"where the embedded Postgres ({postgres/}) and JetStream ({nats/}) keep data"`
	DatabaseURL    config.Secret `env:"DATABASE_URL" doc:"an existing Postgres; empty runs one from the system's binaries in the data dir"`
	NATSURL        string        `env:"UPSTATE_NATS_URL" doc:"an existing NATS server; empty embeds one with JetStream"`
	NATSListen     string        `env:"UPSTATE_NATS_LISTEN" envDefault:"127.0.0.1:4222" doc:"client address of the embedded NATS server, for subscribers (port 0: any free port)"`
	NATSSyncAlways bool          `env:"UPSTATE_NATS_SYNC_ALWAYS" envDefault:"false" doc:"the embedded JetStream fsyncs every message (see *Durability*)"`
	NATSReaderUser string        `env:"UPSTATE_NATS_READER_USER" doc:"a user of the embedded NATS server who may read the {STATUS}, {INCIDENTS}, {SLA}, {ALERTS} and {AUDIT} streams and nothing else (see *Subscribing to events*); empty: none"`
	NATSReaderPass config.Secret `env:"UPSTATE_NATS_READER_PASSWORD" doc:"the reader's password (at most 72 bytes)"`
	NATSAdminUser  string        `env:"UPSTATE_NATS_ADMIN_USER" doc:"a user of the embedded NATS server allowed everything, for operators' tools such as {upstate dead-letters}; empty: none"`
	NATSAdminPass  config.Secret `env:"UPSTATE_NATS_ADMIN_PASSWORD" doc:"the administrator's password"`
	config.NATSAuth
	standalone.Config
	config.Process
}

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("UPSTATE_DATA_DIR must not be empty"))
	}
	if _, _, err := natsHostPort(c.NATSListen); err != nil {
		errs = append(errs, err)
	}
	if (c.NATSReaderUser == "") != (c.NATSReaderPass == "") {
		errs = append(errs, errors.New("UPSTATE_NATS_READER_USER and UPSTATE_NATS_READER_PASSWORD go together"))
	}
	if (c.NATSAdminUser == "") != (c.NATSAdminPass == "") {
		errs = append(errs, errors.New("UPSTATE_NATS_ADMIN_USER and UPSTATE_NATS_ADMIN_PASSWORD go together"))
	}
	if c.NATSURL != "" && c.NATSAdminUser != "" {
		errs = append(errs, errors.New("UPSTATE_NATS_ADMIN_USER is a user of the embedded NATS server; with UPSTATE_NATS_URL, create it on that server"))
	}
	if c.NATSAdminUser != "" && c.NATSAdminUser == c.NATSReaderUser {
		errs = append(errs, errors.New("UPSTATE_NATS_ADMIN_USER and UPSTATE_NATS_READER_USER must differ"))
	}
	if c.NATSURL != "" && c.NATSReaderUser != "" {
		errs = append(errs, errors.New("UPSTATE_NATS_READER_USER is a user of the embedded NATS server; with UPSTATE_NATS_URL, create it on that server"))
	}
	if c.NATSURL == "" && (c.NATSCreds != "" || c.NATSUser != "") {
		errs = append(errs, errors.New("UPSTATE_NATS_CREDS and UPSTATE_NATS_USER are for the server of UPSTATE_NATS_URL; the embedded one makes a user per service"))
	}
	if c.NATSURL == "" && c.StreamReplicas > 1 {
		errs = append(errs, errors.New("UPSTATE_STREAM_REPLICAS above 1 needs a NATS cluster in UPSTATE_NATS_URL; the embedded server is one node"))
	}
	return errors.Join(append(errs, c.NATSAuth.Validate(), c.Config.Validate(), c.Process.Validate())...)
}

// natsHostPort splits UPSTATE_NATS_LISTEN; port 0 becomes -1, the embedded
// server's "any free port".
func natsHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New("UPSTATE_NATS_LISTEN must be host:port")
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("UPSTATE_NATS_LISTEN has an invalid port")
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}

// loopbackOnly reports whether the HTTP listener is on a loopback address,
// so nobody outside the machine can reach it.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
