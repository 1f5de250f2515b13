package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/server"
)

// version and build are set at link time:
// -ldflags "-X main.version=1.2.3 -X main.build=$(git rev-parse --short HEAD)".
var (
	version = "dev"
	build   = "unknown"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case contract.HealthCheckSubcommand:
			return healthcheck(os.LookupEnv, stderr)
		case "version":
			fmt.Fprintf(stdout, "%s %s\n", version, build)
			return 0
		default:
			fmt.Fprintf(stderr, "unknown command %q; usage: %s [%s|version]\n", args[0], contract.BinaryPath, contract.HealthCheckSubcommand)
			return 2
		}
	}

	cfg, err := config.FromEnv()
	if err != nil {
		// The level is not known yet; a configuration error is always worth a line.
		slog.New(slog.NewJSONHandler(stdout, nil)).Error("Invalid configuration, not starting", "error", err.Error())
		return 1
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := server.Run(ctx, server.RunConfig{Config: cfg, Logger: log, Version: version, Build: build}); err != nil {
		log.Error("Stopped with an error", "error", err.Error())
		return 1
	}
	return 0
}

// healthcheck reads only the listen port, so it works even when the database
// settings are what is wrong.
func healthcheck(lookup func(string) (string, bool), stderr io.Writer) int {
	port, err := config.ListenPort(lookup)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + contract.LivenessPath)
	if err != nil {
		fmt.Fprintf(stderr, "liveness probe failed: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "liveness probe answered %s\n", resp.Status)
		return 1
	}
	return 0
}
