#!/usr/bin/env bash
# Files written by the steer binary of commit ac4fbe2 (before SteerMetadata, issue 18): every
# kind of file steer saves, from the small LEACE activations in vectors/erasure. LegacyFileTests
# reads them with today's library, so files saved before a schema change keep reading.
# Usage: vectors/legacy/make_legacy_fixtures.sh PATH/TO/OLD/steer   (run from the repository root)
set -euo pipefail
steer="$1"
out=vectors/legacy
pos=vectors/erasure/pos.npy
neg=vectors/erasure/neg.npy
"$steer" extract --pos "$pos" --neg "$neg" --out "$out/directions.safetensors" >/dev/null
"$steer" svd --pos "$pos" --neg "$neg" --k 2 --to-mean --out "$out/basis.safetensors" >/dev/null
"$steer" guard train --pos "$pos" --neg "$neg" --out "$out/guard.safetensors" >/dev/null
"$steer" probe train --pos "$pos" --neg "$neg" --out "$out/probes.safetensors" >/dev/null
"$steer" erase fit --pos "$pos" --neg "$neg" --out "$out/eraser.safetensors" >/dev/null
"$steer" stats --acts "$pos" --label pos --out "$out/stats.safetensors" >/dev/null
"$steer" project --directions "$out/directions.safetensors" --acts "$pos" --rows 0-9 --out "$out/projections.safetensors" >/dev/null
"$steer" export --directions "$out/directions.safetensors" --gguf "$out/control.gguf" --convention block_output >/dev/null
"$steer" convert "$pos" "$out/acts.safetensors" --rows 0-9 >/dev/null 2>&1 || "$steer" convert "$pos" "$out/acts.safetensors" >/dev/null
"$steer" ablate --directions "$out/directions.safetensors" --acts "$out/acts.safetensors" --out "$out/ablated.safetensors" >/dev/null
