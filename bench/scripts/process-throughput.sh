#!/usr/bin/env bash
# Records/s of N `train` processes, run as users run them (bin/streamebm), against a broker at
# localhost:19092 that holds a topic written beforehand. Start them, let them warm up for 20 s,
# then read the sum of their ebm_records_consumed_total counters 40 s apart.
#
#   bin/streamebm broker --port 19092 --data-dir /tmp/tpbroker &
#   bin/streamebm produce --bootstrap-server localhost:19092 --topic tp6 --dataset eight-gaussians \
#       --rate 1000000 --records 6000000 --format float32 --partitions 6
#   bench/scripts/process-throughput.sh GROUP N [--set key=value]...
#
# Every run needs a new GROUP (it reads the topic from the beginning) and, with scale-out, a new
# model.name (its params topic). One kernel thread per process, as the scale-out benchmark asks.
set -euo pipefail
group=$1; n=$2; shift 2
root="$(cd "$(dirname "$0")/../.." && pwd)"
topic="${TOPIC:-tp6}"
bootstrap="${BOOTSTRAP:-localhost:19092}"
pids=()
for i in $(seq 1 "$n"); do
  STREAMEBM_JAVA_OPTS="-Xmx1g -XX:+UseParallelGC -Dstreamebm.kernel.threads=1" "$root/bin/streamebm" train \
      --bootstrap-server "$bootstrap" --topic "$topic" --group "$group" --checkpoint-dir "/tmp/tpck/$group-$i" \
      --metrics-port $((9500 + i)) --set kafka.member-name="m$i" "$@" > "/tmp/tp-$group-$i.log" 2>&1 &
  pids+=($!)
done
consumed() {
  local s=0 v
  for i in $(seq 1 "$n"); do
    v=$(curl -s "localhost:$((9500 + i))/metrics" | awk '/^ebm_records_consumed_total/ {print $2; exit}')
    s=$(python3 -c "print($s + ${v:-0})")
  done
  echo "$s"
}
sleep 20
a=$(consumed); t0=$(date +%s.%N)
sleep 40
b=$(consumed); t1=$(date +%s.%N)
python3 -c "print('$group: $n process(es), %.0f records/s' % (($b - $a) / ($t1 - $t0)))"
kill "${pids[@]}"
wait || true
