#!/usr/bin/env node
// Builds the native inference core with CMake (filled in by the native-core issue); nothing to build yet.
console.log("native: nothing to build yet");
