"""What the index means: labels, deposit discovery, reserves (balance anchors, verify), signals, read preparation."""
