package netpath

import (
	"context"
	"fmt"
	"log/slog"
)

// gnetLogger routes gnet's logging (github.com/panjf2000/gnet/v2/pkg/logging.Logger)
// through a *slog.Logger. gnet's Infof lines (event loops starting) are logged at debug
// level, since every Client starts one; its Fatalf is logged at error level: a
// transport library must not exit the process.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) log(level slog.Level, format string, args []any) {
	if !g.l.Enabled(context.Background(), level) {
		return
	}
	g.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", "gnet")
}

func (g gnetLogger) Debugf(format string, args ...any) { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Infof(format string, args ...any)  { g.log(slog.LevelDebug, format, args) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.log(slog.LevelWarn, format, args) }
func (g gnetLogger) Errorf(format string, args ...any) { g.log(slog.LevelError, format, args) }
func (g gnetLogger) Fatalf(format string, args ...any) { g.log(slog.LevelError, format, args) }
