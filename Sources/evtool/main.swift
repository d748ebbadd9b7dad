import EvTool

// The whole CLI lives in EvTool, so tests can drive it; this target is only the entry point.
await EvTool.runAndExit()
