package main

import (
	"flag"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/docuflow/docuflow-operator/internal/operator"
)

func runManager(args []string) error {
	fs := flag.NewFlagSet("manager", flag.ExitOnError)
	var o operator.Options
	o.Bind(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&o.Zap)))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	mgr, err := operator.NewManager(cfg, o)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("Starting the manager")
	return mgr.Start(ctrl.SetupSignalHandler())
}
