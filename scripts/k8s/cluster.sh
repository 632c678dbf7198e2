#!/usr/bin/env bash
# cluster.sh — a throw-away Kubernetes control plane on 127.0.0.1 for integration tests:
# etcd + kube-apiserver + kube-controller-manager (no scheduler, no kubelet: Pods stay Pending).
#
# Usage:
#   cluster.sh start  [dir]   start a cluster whose state lives in dir (new or empty, or a stopped
#                             cluster's dir); progress goes to stderr,
#                             stdout gets one line: export KUBECONFIG=<dir>/kubeconfig
#   cluster.sh stop   [dir]   stop exactly the processes recorded in dir, then remove dir
#   cluster.sh env    [dir]   print the export line again (exit 1 when the cluster is not running)
#   cluster.sh status [dir]   show each process and its port
# dir defaults to /tmp/minefleet-k8s-cluster.  eval "$(cluster.sh start)" sets KUBECONFIG.
#
# Environment:
#   MINEFLEET_K8S_PREFIX         where the kube-apiserver and kube-controller-manager binaries are (default /opt/minefleet-k8s)
#   MINEFLEET_K8S_CONTROLLERS    kube-controller-manager --controllers (default: see DEFAULT_CONTROLLERS)
#   MINEFLEET_K8S_START_TIMEOUT  seconds to wait for each component (default 90)
#   MINEFLEET_K8S_CRDS           optional ':'-separated CRD files/folders, applied (kubectl apply -f)
#                                and Established before the controller-manager starts, so its
#                                garbage collector handles those kinds at once (a CRD created
#                                later is picked up by its 30 s discovery resync)
#
# Every process listens on 127.0.0.1 only, on free ports picked at start, so several clusters
# (different dirs) can run at once. Identity: a static token for user minefleet-admin in group
# system:masters (in the kubeconfig); authorization is RBAC; service-account tokens are signed
# with a key generated per cluster (issuer https://kubernetes.default.svc.cluster.local).
set -euo pipefail

PROG=cluster.sh
PREFIX=${MINEFLEET_K8S_PREFIX:-/opt/minefleet-k8s}
TIMEOUT=${MINEFLEET_K8S_START_TIMEOUT:-90}
DEFAULT_CONTROLLERS=garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,statefulset-controller,deployment-controller,replicaset-controller,job-controller,cronjob-controller,endpoints-controller,endpointslice-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller
CONTROLLERS=${MINEFLEET_K8S_CONTROLLERS:-$DEFAULT_CONTROLLERS}
MARKER=.minefleet-k8s-cluster
COMPONENTS=(etcd kube-apiserver kube-controller-manager)   # start order; stopped in reverse

T0=$(date +%s%N)
elapsed() { local n; n=$(date +%s%N); printf '%d.%01ds' $(( (n - T0) / 1000000000 )) $(( (n - T0) / 100000000 % 10 )); }
log() { printf '[%s +%s] %s\n' "$PROG" "$(elapsed)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

CMD=${1:-}
[[ $# -ge 1 && $# -le 2 ]] || usage
case $CMD in start|stop|env|status) ;; -h|--help) usage ;; *) usage ;; esac
DIR=$(realpath -m -- "${2:-/tmp/minefleet-k8s-cluster}")
[[ $DIR != / ]] || die "refusing to use / as the cluster dir"

# ---------------------------------------------------------------- process bookkeeping
pidfile() { echo "$DIR/pids/$1.pid"; }
# our_pid <name>: prints the recorded pid when that process is alive and still ours
# (its command line mentions DIR, so a reused pid is never mistaken for ours).
our_pid() {
  local f pid state
  f=$(pidfile "$1"); [[ -r $f ]] || return 1
  pid=$(<"$f"); [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]] || return 1
  tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/" || return 1
  echo "$pid"
}
any_running() { local c; for c in "${COMPONENTS[@]}"; do our_pid "$c" >/dev/null && return 0; done; return 1; }

stop_component() {
  local name=$1 pid i
  pid=$(our_pid "$name") || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do                       # up to 10 s
    our_pid "$name" >/dev/null || { log "stopped $name (pid $pid)"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 30); do our_pid "$name" >/dev/null || break; sleep 0.1; done
  log "killed $name (pid $pid) after it ignored SIGTERM for 10 s"
}
stop_all() { local i; for (( i=${#COMPONENTS[@]}-1; i>=0; i-- )); do stop_component "${COMPONENTS[i]}"; done; }

# ---------------------------------------------------------------- ports
declare -A TAKEN=()
port_busy() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
# pick_port VAR: a free port in 20000-32767 (below Linux's ephemeral range 32768-60999).
pick_port() {
  local p i
  for i in $(seq 1 500); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12768 ))
    [[ -z ${TAKEN[$p]:-} ]] || continue
    port_busy "$p" && continue
    TAKEN[$p]=1; printf -v "$1" '%s' "$p"; return 0
  done
  die "no free port found"
}
# owns_port <pid> <port>: that process (not someone else's) is listening on 127.0.0.1:port
owns_port() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"
}
bind_failed() { grep -qiE 'address already in use|bind: ' "$DIR/logs/$1.log" 2>/dev/null; }

launch() { # launch <name> <cmd...>: detached (own session), stdio to the log, pid recorded
  local name=$1; shift
  setsid "$@" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  echo $! > "$(pidfile "$name")"
}

# wait_ready <name> <check-command...>: until the check passes; fails when the process dies
wait_ready() {
  local name=$1; shift
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while :; do
    our_pid "$name" >/dev/null || return 2
    "$@" >/dev/null 2>&1 && return 0
    (( $(date +%s) < deadline )) || return 1
    sleep 0.1
  done
}

fail_start() { # fail_start <name> <why>
  log "$1: $2; last lines of $DIR/logs/$1.log:"
  tail -n 25 "$DIR/logs/$1.log" >&2 2>/dev/null || true
  stop_all
  die "start failed ($1: $2). Logs kept in $DIR; '$0 stop $DIR' removes it"
}

# ---------------------------------------------------------------- commands
cmd_env() {
  [[ -f $DIR/$MARKER && -f $DIR/kubeconfig ]] || die "no cluster in $DIR (run: $0 start $DIR)"
  our_pid kube-apiserver >/dev/null || die "the cluster in $DIR is not running (run: $0 stop $DIR; $0 start $DIR)"
  printf 'export KUBECONFIG=%q\n' "$DIR/kubeconfig"
}

cmd_status() {
  [[ -f $DIR/$MARKER ]] || die "no cluster in $DIR"
  local c pid rc=0
  local ETCD_PORT='?' API_PORT='?' KCM_PORT='?'
  # shellcheck disable=SC1091
  [[ -f $DIR/ports ]] && . "$DIR/ports"
  for c in "${COMPONENTS[@]}"; do
    if pid=$(our_pid "$c"); then
      printf '%-24s running  pid %-8s rss %s\n' "$c" "$pid" "$(awk '/VmRSS/{print $2" "$3}' "/proc/$pid/status")"
    else
      printf '%-24s stopped\n' "$c"; rc=1
    fi
  done
  printf 'etcd        http://127.0.0.1:%s\napiserver   https://127.0.0.1:%s\ncontroller  https://127.0.0.1:%s/healthz\n' \
    "$ETCD_PORT" "$API_PORT" "$KCM_PORT"
  return $rc
}

cmd_stop() {
  if [[ ! -e $DIR ]]; then log "nothing to stop: $DIR does not exist"; return 0; fi
  [[ -f $DIR/$MARKER ]] || die "$DIR is not a cluster dir made by $PROG (no $MARKER); not touching it"
  stop_all
  rm -rf -- "$DIR"
  log "removed $DIR"
}

gen_pki() {
  local p=$DIR/pki
  mkdir -p "$p"; chmod 700 "$p"
  cat > "$p/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = minefleet-k8s
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP:10.96.0.1
EOF
  ( cd "$p"
    umask 077
    # CA and serving keys: ECDSA P-256 (fast to generate); service-account key: RSA 2048 (RS256).
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -x509 -new -key ca.key -config openssl.cnf -extensions v3_ca -subj "/CN=minefleet-k8s-ca" \
      -days 3650 -sha256 -out ca.crt
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out serving.key
    openssl req -new -key serving.key -config openssl.cnf -subj "/CN=kube-apiserver" -out serving.csr
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
      -days 3650 -sha256 -extfile openssl.cnf -extensions v3_server -out serving.crt 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
    openssl pkey -in sa.key -pubout -out sa.pub
    rm -f serving.csr
    chmod 644 ca.crt serving.crt sa.pub
  ) || die "openssl failed while generating certificates"
}

write_kubeconfig() { # write_kubeconfig <file> <user> <token>
  local ca
  ca=$(base64 -w0 < "$DIR/pki/ca.crt")
  ( umask 077
    cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: minefleet
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $ca
users:
- name: $2
  user:
    token: $3
contexts:
- name: minefleet
  context:
    cluster: minefleet
    user: $2
    namespace: default
current-context: minefleet
EOF
  )
}

https_get() { # https_get <port> <path> [token]: body on stdout, fails on non-2xx
  local auth=()
  [[ -n ${3:-} ]] && auth=(-H "Authorization: Bearer $3")
  curl -sSf --max-time 2 --cacert "$DIR/pki/ca.crt" "${auth[@]}" "https://127.0.0.1:$1$2"
}
etcd_ok()  { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"' && owns_port "$(our_pid etcd)" "$ETCD_PORT"; }
api_ok()   { [[ $(https_get "$API_PORT" /readyz "$ADMIN_TOKEN") == ok ]] && owns_port "$(our_pid kube-apiserver)" "$API_PORT"; }
kcm_ok()   { [[ $(https_get "$KCM_PORT" /healthz) == ok ]] && owns_port "$(our_pid kube-controller-manager)" "$KCM_PORT"; }
default_sa_ok() { https_get "$API_PORT" /api/v1/namespaces/default/serviceaccounts/default "$ADMIN_TOKEN"; }

start_etcd() {
  pick_port ETCD_PORT; pick_port ETCD_PEER_PORT
  launch etcd "$ETCD" --name minefleet --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "minefleet=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --initial-cluster-token "minefleet-$ETCD_PEER_PORT" --logger zap --log-outputs stderr
}

start_apiserver() {
  pick_port API_PORT
  launch kube-apiserver "$PREFIX/bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --storage-backend etcd3 \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --endpoint-reconciler-type none \
    --cert-dir "$DIR/pki" --tls-cert-file "$DIR/pki/serving.crt" --tls-private-key-file "$DIR/pki/serving.key" \
    --client-ca-file "$DIR/pki/ca.crt" \
    --token-auth-file "$DIR/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$DIR/pki/sa.pub" --service-account-signing-key-file "$DIR/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --allow-privileged=true --profiling=false
}

start_kcm() {
  pick_port KCM_PORT
  launch kube-controller-manager "$PREFIX/bin/kube-controller-manager" \
    --kubeconfig "$DIR/kcm.kubeconfig" \
    --authentication-kubeconfig "$DIR/kcm.kubeconfig" --authorization-kubeconfig "$DIR/kcm.kubeconfig" \
    --authentication-skip-lookup --client-ca-file "$DIR/pki/ca.crt" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --cert-dir "$DIR/pki" --tls-cert-file "$DIR/pki/serving.crt" --tls-private-key-file "$DIR/pki/serving.key" \
    --controllers "$CONTROLLERS" --leader-elect=false \
    --service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
    --profiling=false
}

# start_with_retry <name> <start-fn> <check-fn>: picks new ports when another process won the race
start_with_retry() {
  local name=$1 startfn=$2 check=$3 attempt rc
  for attempt in 1 2 3 4 5; do
    : > "$DIR/logs/$name.log"
    [[ $name == etcd ]] && rm -rf "$DIR/etcd"
    "$startfn"
    rc=0; wait_ready "$name" "$check" || rc=$?
    [[ $rc -eq 0 ]] && return 0
    if [[ $rc -eq 2 ]] && bind_failed "$name"; then
      log "$name: port taken by another process, retrying with new ports (attempt $attempt)"
      continue
    fi
    [[ $rc -eq 1 ]] && fail_start "$name" "not ready after ${TIMEOUT}s"
    fail_start "$name" "process exited"
  done
  fail_start "$name" "could not bind a free port after 5 attempts"
}

cmd_start() {
  local b
  for b in kube-apiserver kube-controller-manager; do
    [[ -x $PREFIX/bin/$b ]] || die "$PREFIX/bin/$b is missing: build Kubernetes v1.28 from its source
(kube-apiserver and kube-controller-manager) into $PREFIX/bin, or set MINEFLEET_K8S_PREFIX to where they are"
  done
  ETCD=$(command -v etcd || true)
  [[ -n $ETCD ]] || { [[ -x $PREFIX/bin/etcd ]] && ETCD=$PREFIX/bin/etcd; } \
    || die "etcd is missing: apt-get install etcd-server"
  local t
  for t in openssl curl base64 setsid; do command -v "$t" >/dev/null 2>&1 || die "$t is missing (apt-get install $t)"; done

  if [[ -d $DIR && -z $(ls -A -- "$DIR") ]]; then
    :   # an empty folder (e.g. from mktemp -d) is fine
  elif [[ -e $DIR ]]; then
    [[ -f $DIR/$MARKER ]] || die "$DIR exists, is not empty and is not a cluster dir made by $PROG; pick another dir"
    any_running && die "a cluster is already running in $DIR (stop it with: $0 stop $DIR)"
    log "removing the stale cluster dir $DIR"
    rm -rf -- "$DIR"
  fi
  mkdir -p "$DIR"/{logs,pids}
  chmod 700 "$DIR"
  echo "created $(date -u +%Y-%m-%dT%H:%M:%SZ) by $PROG pid $$" > "$DIR/$MARKER"
  # Ctrl-C or any failure while starting: stop what was started (the dir stays, with its logs).
  trap 'rc=$?; if [[ $rc -ne 0 && ${STARTED:-0} -ne 1 ]]; then stop_all; fi' EXIT
  trap 'log "interrupted; stopping what was started"; exit 130' INT TERM

  gen_pki
  ADMIN_TOKEN=$(openssl rand -hex 32); KCM_TOKEN=$(openssl rand -hex 32)
  ( umask 077
    printf '%s,minefleet-admin,minefleet-admin,"system:masters"\n' "$ADMIN_TOKEN"
    printf '%s,system:kube-controller-manager,system:kube-controller-manager,"system:masters"\n' "$KCM_TOKEN"
  ) > "$DIR/tokens.csv"
  chmod 600 "$DIR/tokens.csv"
  log "generated CA, serving cert (127.0.0.1, localhost), service-account key, tokens"

  start_with_retry etcd start_etcd etcd_ok
  log "etcd ready on 127.0.0.1:$ETCD_PORT (pid $(our_pid etcd))"

  start_with_retry kube-apiserver start_apiserver api_ok
  write_kubeconfig "$DIR/kubeconfig" minefleet-admin "$ADMIN_TOKEN"
  write_kubeconfig "$DIR/kcm.kubeconfig" system:kube-controller-manager "$KCM_TOKEN"
  log "kube-apiserver ready on https://127.0.0.1:$API_PORT (pid $(our_pid kube-apiserver)); kubeconfig usable: $DIR/kubeconfig"

  if [[ -n ${MINEFLEET_K8S_CRDS:-} ]]; then
    command -v kubectl >/dev/null 2>&1 || fail_start kube-apiserver "MINEFLEET_K8S_CRDS is set but kubectl is missing"
    local f files=()
    IFS=: read -r -a files <<< "$MINEFLEET_K8S_CRDS"
    local kargs=()
    for f in "${files[@]}"; do [[ -n $f ]] && kargs+=(-f "$f"); done
    KUBECONFIG=$DIR/kubeconfig kubectl apply "${kargs[@]}" >&2 || fail_start kube-apiserver "kubectl apply of MINEFLEET_K8S_CRDS failed"
    # kubectl wait fails at once ("status.conditions accessor error") on a CRD whose status has no
    # conditions yet, so it is retried until the deadline.
    local deadline=$(( $(date +%s) + TIMEOUT ))
    until KUBECONFIG=$DIR/kubeconfig kubectl wait --for condition=Established crd --all --timeout "${TIMEOUT}s" >/dev/null 2>&1; do
      (( $(date +%s) < deadline )) || fail_start kube-apiserver "CRDs from MINEFLEET_K8S_CRDS did not become Established"
      sleep 0.2
    done
    log "applied CRDs from MINEFLEET_K8S_CRDS"
  fi

  start_with_retry kube-controller-manager start_kcm kcm_ok
  printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPI_PORT=%s\nKCM_PORT=%s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT" > "$DIR/ports"
  log "kube-controller-manager healthy on https://127.0.0.1:$KCM_PORT (pid $(our_pid kube-controller-manager))"
  if [[ ,$CONTROLLERS, == *,serviceaccount-controller,* || ,$CONTROLLERS, == *,serviceaccount,* ]]; then
    # Pods are admitted only once their namespace has its "default" ServiceAccount.
    wait_ready kube-controller-manager default_sa_ok || fail_start kube-controller-manager "controllers did not start"
    log "controllers running (default ServiceAccount exists)"
  fi
  STARTED=1
  log "cluster up in $(elapsed); stop it with: $0 stop $DIR"
  printf 'export KUBECONFIG=%q\n' "$DIR/kubeconfig"
}

case $CMD in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
esac
