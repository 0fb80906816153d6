"""Hip and lumbar angles from the pelvis, thigh and thorax IMUs (docs/hip.md)."""
