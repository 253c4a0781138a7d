"""Readers of Kubernetes inputs for ``podpack``: quantities, kubectl objects,
the Alibaba GPU cluster trace.

Resource quantities are parsed exactly as Kubernetes' ``resource.Quantity``
(k8s.io/apimachinery/pkg/api/resource): a signed decimal number, then one
suffix — binary SI ``Ki Mi Gi Ti Pi Ei``, decimal SI ``n u m "" k M G T P E``
or a decimal exponent ``e``/``E`` and an integer. Suffixes are
case-sensitive (``1K`` and ``1gi`` are errors). CPU is returned in
millicores and everything else in base units (bytes for memory), both
rounded **up** to an integer, as ``Quantity.MilliValue()`` / ``Value()`` do.

Effective pod requests follow the Kubernetes rule with sidecars (KEP-753,
Kubernetes ≥ 1.29): init containers run in order; a restartable init
container (``restartPolicy: Always``) is a sidecar whose request adds to
everything after it; per resource::

    effective = max(Σ containers + Σ sidecars,
                    max over plain init containers i of (request_i + Σ sidecars before i))
                + overhead

A container's limit stands for its request where it gives none (the API
server's defaulting, ``SetDefaults_Pod``; output of a live cluster has it
applied already, hand-written manifests may not). Pod-level resources
(``spec.resources``, KEP-2837, beta and on by default since Kubernetes
1.34): a pod-level request of cpu, memory or ``hugepages-*`` replaces the
containers' effective request of that resource before the overhead is
added; a pod-level limit without a request is the request when no
container requests the resource (for hugepages: always), as the API server
defaults it.
"""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from pathlib import Path

from schedcert.errors import InputError, entry_errors, magnitude, parse_json, parse_yaml, read_text

_BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
_DECIMAL = {"n": Fraction(1, 10 ** 9), "u": Fraction(1, 10 ** 6), "m": Fraction(1, 1000), "": Fraction(1),
            "k": Fraction(10 ** 3), "M": Fraction(10 ** 6), "G": Fraction(10 ** 9), "T": Fraction(10 ** 12),
            "P": Fraction(10 ** 15), "E": Fraction(10 ** 18)}
_NUMBER = re.compile(r"^([+-]?)(\d+\.?\d*|\.\d+)(.*)$")
_EXPONENT = re.compile(r"^[eE]([+-]?\d+)$")

#: What the scheduler's scoring counts for a container that requests no cpu /
#: no memory (DefaultMilliCPURequest, DefaultMemoryRequest; "non-zero requests").
NONZERO = {"cpu": 100, "memory": 200 * 2 ** 20}

#: Pod slots of a node whose allocatable names none: the kubelet's default
#: ``--max-pods`` (every Node it registers reports ``pods``; a hand-written
#: node without it would otherwise hold no pod at all).
KUBELET_MAX_PODS = 110

#: Kubernetes' default priority for pods whose class is unknown / absent.
BUILTIN_PRIORITY_CLASSES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}


def parse_quantity(text, what: str = "quantity") -> Fraction:
    """The exact value of a Kubernetes quantity string.

    Parameters
    ----------
    text : str or int or float
        e.g. ``"500m"``, ``"1.5"``, ``"1Gi"``, ``"129e6"``, ``"123Mi"``;
        YAML numbers are accepted as their decimal text.
    what : str
        Names the object and field in the error message.

    Raises
    ------
    InputError
        Not a valid quantity (unknown or wrongly-cased suffix, no digits,
        trailing garbage).
    """
    if isinstance(text, bool):
        raise InputError(f"{what}: expected a quantity such as 500m or 1Gi, got {text!r}")
    if isinstance(text, (int, float)):
        text = repr(text) if isinstance(text, float) else str(text)
    s = str(text).strip()
    m = _NUMBER.match(s)
    if not m:
        raise InputError(f"{what}: expected a quantity such as 500m or 1Gi, got {text!r}")
    sign, num, suffix = m.groups()
    value = Fraction(num if not num.endswith(".") else num[:-1] or "0")
    if suffix in _BINARY:
        value *= _BINARY[suffix]
    elif suffix in _DECIMAL:
        value *= _DECIMAL[suffix]
    else:
        e = _EXPONENT.match(suffix)
        if not e:
            raise InputError(f"{what}: unknown quantity suffix {suffix!r} in {text!r} "
                             "(expected one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or e<exponent>; "
                             "suffixes are case-sensitive)")
        value *= Fraction(10) ** int(e.group(1))
    return -value if sign == "-" else value


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


#: the largest request or capacity in schedcert's units (Kubernetes keeps
#: quantities in int64; the packers use 64-bit integer arrays)
MAX_QUANTITY = 2 ** 63 - 1


def quantity_int(resource: str, text, what: str) -> int:
    """A non-negative request/capacity in schedcert's integer units:
    millicores for ``cpu``, base units (bytes, counts) otherwise, rounded up."""
    v = parse_quantity(text, what)
    if v < 0:
        raise InputError(f"{what}: a resource quantity must be >= 0, got {text!r}")
    out = _ceil(v * 1000) if resource == "cpu" else _ceil(v)
    if out > MAX_QUANTITY:
        raise InputError(f"{what}: {text!r} is too large (Kubernetes quantities fit in 63 bits)")
    return out


def resource_map(data, what: str) -> dict:
    """``{name: quantity}`` -> ``{name: int}`` (see :func:`quantity_int`)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{what}: expected a mapping of resource name to quantity")
    return {str(k): quantity_int(str(k), v, f"{what}.{k}") for k, v in data.items()}


def node_allocatable(data, what: str) -> dict:
    """A node's allocatable (see :func:`resource_map`), with
    :data:`KUBELET_MAX_PODS` pod slots where it names none."""
    alloc = resource_map(data, what)
    alloc.setdefault("pods", KUBELET_MAX_PODS)
    return alloc


def _requirements(resources, where: str) -> tuple[dict, dict]:
    """``(requests, limits)`` of a ``resources`` stanza at `where`."""
    if resources is None:
        return {}, {}
    if not isinstance(resources, dict):
        raise InputError(f"{where}.resources: expected a mapping with requests and limits")
    return (resource_map(resources.get("requests"), f"{where}.resources.requests"),
            resource_map(resources.get("limits"), f"{where}.resources.limits"))


def _pod_level(name: str) -> bool:
    """Resources a pod-level ``spec.resources`` may set (cpu, memory, hugepages)."""
    return name in ("cpu", "memory") or name.startswith("hugepages-")


def effective_requests(spec: dict, what: str, nonmissing: dict | None = None) -> dict:
    """Effective requests of a pod spec (containers, init containers with the
    sidecar rule, pod-level ``resources``, ``overhead``); see the module
    docstring. `nonmissing`: a value per resource that each container
    lacking a request of it counts instead (the scheduler's
    ``NonMissingContainerRequests``; an explicit 0 stays 0)."""
    names: set = set()  # resources some container requests (before `nonmissing`)

    def reqs(c, kind, i):
        requests, limits = _requirements(c.get("resources"), f"{what}.spec.{kind}[{i}]")
        out = {**limits, **requests}  # a limit without a request is also the request (API defaulting)
        names.update(out)
        return {**(nonmissing or {}), **out}

    main: dict = {}
    for i, c in enumerate(spec.get("containers") or []):
        for k, v in reqs(c, "containers", i).items():
            main[k] = main.get(k, 0) + v
    sidecars: dict = {}
    init_peak: dict = {}
    for i, c in enumerate(spec.get("initContainers") or []):
        r = reqs(c, "initContainers", i)
        if c.get("restartPolicy") == "Always":
            for k, v in r.items():
                sidecars[k] = sidecars.get(k, 0) + v
        else:
            for k in set(r) | set(sidecars):
                init_peak[k] = max(init_peak.get(k, 0), r.get(k, 0) + sidecars.get(k, 0))
    containers = {k: max(main.get(k, 0) + sidecars.get(k, 0), init_peak.get(k, 0))
                  for k in set(main) | set(sidecars) | set(init_peak)}
    pod_requests, pod_limits = _requirements(spec.get("resources"), f"{what}.spec")
    for k, v in pod_limits.items():  # API defaulting of pod-level requests, only where limits are set
        from_containers = k in names and not k.startswith("hugepages-")  # overcommittable: the containers' sum
        if _pod_level(k) and k not in pod_requests and not from_containers:
            pod_requests[k] = v
    for k, v in pod_requests.items():  # pod-level requests replace the containers' (the scheduler's PodRequests)
        if _pod_level(k):
            containers[k] = v
    overhead = resource_map(spec.get("overhead"), f"{what}.spec.overhead")
    out = {}
    for k in set(containers) | set(overhead):
        v = containers.get(k, 0) + overhead.get(k, 0)
        if v:
            out[k] = v
    return out


def nonzero_requests(spec: dict, what: str) -> dict:
    """Cpu and memory of a pod spec as the default scheduler's resource
    scoring counts them: :func:`effective_requests` with every container
    that requests no cpu counting 100m and none that requests no memory
    200 MiB (``calculatePodResourceRequest`` of NodeResourcesFit)."""
    eff = effective_requests(spec, what, NONZERO)
    return {r: eff.get(r, 0) for r in NONZERO}


# --------------------------------------------------------------------------
# kubectl objects
# --------------------------------------------------------------------------

def load_documents(path: Path) -> list:
    """Objects of a kubectl JSON/YAML file: a ``List`` (its items), a single
    object, or several YAML documents. InputError names the file and line."""
    text = read_text(path)
    docs = [parse_json(text, path)] if path.suffix.lower() == ".json" else parse_yaml(text, path, every=True)
    items = []
    for d in docs:
        if not isinstance(d, dict):
            raise InputError("expected Kubernetes objects (mappings with 'kind')", path)
        if str(d.get("kind", "")).endswith("List") or ("items" in d and "kind" not in d):
            if not isinstance(d.get("items") or [], list):
                raise InputError("expected 'items' to be a list of Kubernetes objects", path)
            items += list(d.get("items") or [])
        else:
            items.append(d)
    return items


def node_from_object(obj: dict, src) -> dict:
    """A Node object -> the fields of :class:`~schedcert.instances.podpack.Node`."""
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise InputError("a Node without metadata.name", src)
    what = f"node {name}"
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    alloc = status.get("allocatable") or status.get("capacity")
    if not alloc:
        raise InputError(f"{what}: expected status.allocatable (cpu, memory, pods)", src)
    taints = tuple((t.get("key", ""), t.get("value", "") or "", t.get("effect", ""))
                   for t in spec.get("taints") or [])
    return dict(name=name, allocatable=node_allocatable(alloc, f"{what} status.allocatable"),
                labels=dict(meta.get("labels") or {}), taints=taints,
                unschedulable=bool(spec.get("unschedulable", False)))


def _required_terms(spec: dict, kind: str):
    return ((spec.get("affinity") or {}).get(kind) or {}).get("requiredDuringSchedulingIgnoredDuringExecution")


def _ports(spec: dict):
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    return [p for c in containers for p in c.get("ports") or []]


#: Owners whose selector makes PodTopologySpread's system-default
#: constraints apply to a pod (DefaultSelector also takes Services, which a
#: pods file does not hold).
SPREAD_OWNERS = ("ReplicaSet", "ReplicationController", "StatefulSet")

#: The hard scheduling constraints of a Pod object that schedcert reads past
#: (the default profile's InterPodAffinity, PodTopologySpread, NodePorts and
#: VolumeBinding filters, and scheduling gates): label -> test on its spec.
UNMODELLED = (
    ("required pod affinity", lambda spec: _required_terms(spec, "podAffinity")),
    ("required pod anti-affinity", lambda spec: _required_terms(spec, "podAntiAffinity")),
    ("topology spread (DoNotSchedule)", lambda spec: any(c.get("whenUnsatisfiable") == "DoNotSchedule"
                                                         for c in spec.get("topologySpreadConstraints") or [])),
    ("host ports", lambda spec: any(p.get("hostPort") for p in _ports(spec))),
    ("persistent volume claims", lambda spec: any(v.get("persistentVolumeClaim") for v in spec.get("volumes") or [])),
    ("scheduling gates", lambda spec: spec.get("schedulingGates")),
)


def unmodelled_note(found: dict) -> str | None:
    """The note for the pods carrying constraints of :data:`UNMODELLED`
    (`found`: label -> pod names), or None."""
    if not found:
        return None
    pods = {p for names in found.values() for p in names}
    kinds = "; ".join(f"{label} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
                      for label, names in found.items())
    return (f"{len(pods)} pod(s) carry hard constraints schedcert does not read: {kinds}. A placement that moves "
            "or binds them may break them, and the validator does not check them")


def pod_from_object(obj: dict, classes: dict, default_class, src, index: int) -> dict | None:
    """A Pod object -> the fields of :class:`~schedcert.instances.podpack.Pod`
    and ``unmodelled`` (the labels of :data:`UNMODELLED` it carries), or
    None for a pod that holds nothing (phase Succeeded or Failed)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    name = meta.get("name")
    if not name:
        raise InputError(f"pod #{index + 1} has no metadata.name", src)
    ns = meta.get("namespace", "default")
    full = f"{ns}/{name}"
    what = f"pod {full}"
    if status.get("phase") in ("Succeeded", "Failed"):
        return None
    pclass = spec.get("priorityClassName") or default_class
    if spec.get("priority") is not None:
        if isinstance(spec["priority"], bool) or not isinstance(spec["priority"], int):
            raise InputError(f"{what}: spec.priority must be an integer, got {spec['priority']!r}", src)
        priority = spec["priority"]
    elif pclass:
        if pclass not in classes:
            raise InputError(f"{what}: unknown priorityClassName {pclass!r} "
                             "(give the PriorityClass objects in the pods file, or spec.priority)", src)
        priority = classes[pclass][0]
    else:
        priority = 0
    policy = spec.get("preemptionPolicy") or (classes.get(pclass, (0, None))[1] if pclass else None) \
        or "PreemptLowerPriority"
    refs = [o for o in meta.get("ownerReferences") or [] if isinstance(o, dict)]
    owners = [o for o in refs if o.get("controller")]
    owner = owners[0].get("kind") if owners else None
    ident = (refs[0].get("uid") or refs[0].get("name")) if refs else None
    spread = ident and any(o.get("kind") in SPREAD_OWNERS for o in refs) \
        and not spec.get("topologySpreadConstraints")  # its own constraints replace the system defaults
    mirror = "kubernetes.io/config.mirror" in (meta.get("annotations") or {})
    affinity = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = tuple(_term(t, what) for t in affinity.get("nodeSelectorTerms") or [])
    tols = tuple((t.get("key", "") or "", t.get("operator", "Equal") or "Equal", t.get("value", "") or "",
                  t.get("effect", "") or "") for t in spec.get("tolerations") or [])
    return dict(unmodelled=[label for label, test in UNMODELLED if test(spec)],
                name=full, requests=effective_requests(spec, what), nonzero_requests=nonzero_requests(spec, what),
                priority=priority,
                node=spec.get("nodeName") or None, node_selector=dict(spec.get("nodeSelector") or {}),
                affinity=terms, tolerations=tols, preemption_policy=policy,
                created=str(meta.get("creationTimestamp") or ""), owner=owner,
                movable=owner is not None and owner != "DaemonSet" and not mirror,
                owner_uid=f"{ns}/{refs[0].get('kind')}/{ident}" if spread else None)


def _term(t: dict, what: str) -> tuple:
    exprs = []
    for e in t.get("matchExpressions") or []:
        exprs.append(("label", e.get("key", ""), e.get("operator", ""), tuple(str(v) for v in e.get("values") or ())))
    for e in t.get("matchFields") or []:
        if e.get("key") != "metadata.name":
            raise InputError(f"{what}: node affinity matchFields supports only metadata.name, got {e.get('key')!r}")
        exprs.append(("field", "metadata.name", e.get("operator", ""), tuple(str(v) for v in e.get("values") or ())))
    return tuple(exprs)  # keys and operators are checked with every other reader's (podpack._make)


_KUBECTL_SHAPE = "the object as `kubectl get nodes,pods -o json` writes it (Kubernetes API fields)"


def read_kubectl(nodes_path: Path, pods_path: Path | None) -> tuple[list, list, list]:
    """Node and pod field dicts from kubectl output: one file holding both, or
    ``nodes_path`` + ``pods_path``. PriorityClass objects in either file
    resolve ``priorityClassName``. Returns (nodes, pods, dropped pod names,
    {label of :data:`UNMODELLED`: names of the pods carrying it})."""
    items = [(o, nodes_path) for o in load_documents(nodes_path)]
    if pods_path is not None:
        items += [(o, pods_path) for o in load_documents(pods_path)]
    classes = dict((k, (v, "PreemptLowerPriority")) for k, v in BUILTIN_PRIORITY_CLASSES.items())
    default_class = None
    for i, (o, src) in enumerate(items):
        if not isinstance(o, dict):
            raise InputError(f"object #{i + 1}: expected a Kubernetes object (a mapping with 'kind'), got {o!r}",
                             src)
        if o.get("kind") == "PriorityClass":
            with entry_errors(f"PriorityClass object #{i + 1}", "metadata.name and an integer value", src):
                name = o["metadata"]["name"]
                classes[name] = (int(o["value"]), o.get("preemptionPolicy") or "PreemptLowerPriority")
            if o.get("globalDefault"):
                default_class = name
    nodes, pods, dropped, unmodelled = [], [], [], {}
    for i, (o, src) in enumerate(items):
        kind = o.get("kind")
        name = o["metadata"].get("name") if isinstance(o.get("metadata"), dict) else None
        if kind == "Node":
            with entry_errors(f"node {name}", _KUBECTL_SHAPE, src):
                nodes.append(node_from_object(o, src))
        elif kind == "Pod":
            with entry_errors(f"pod {name}", _KUBECTL_SHAPE, src):
                p = pod_from_object(o, classes, default_class, src, i)
            if p is None:
                dropped.append((o.get("metadata") or {}).get("name"))
            else:
                for label in p.pop("unmodelled"):
                    unmodelled.setdefault(label, []).append(p["name"])
                pods.append(p)
        elif kind not in ("PriorityClass",):
            raise InputError(f"unexpected object kind {kind!r} (expected Node, Pod or PriorityClass)", src)
    if not nodes:
        raise InputError("no Node objects (kubectl get nodes -o json output expected)", nodes_path)
    return nodes, pods, dropped, unmodelled


# --------------------------------------------------------------------------
# Alibaba GPU cluster trace (openb, 2023)
# --------------------------------------------------------------------------

#: QoS class of the trace -> pod priority (higher schedules and preempts first).
ALIBABA_PRIORITY = {"Guaranteed": 3000, "LS": 2000, "Burstable": 1000, "BE": 0}
GPU = "nvidia.com/gpu"
GPU_MODEL_LABEL = "alibaba.com/gpu-model"


def _csv_rows(path: Path, need: tuple) -> list:
    rd = csv.DictReader(io.StringIO(read_text(path)))
    missing = [c for c in need if c not in (rd.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; expected {', '.join(need)}", path, 1)
    return [(i + 2, row) for i, row in enumerate(rd)]


def _csv_int(row, col, path, line, scale: int = 1) -> int:
    """Column `col` of `row` as a non-negative integer times `scale`, at
    most :data:`MAX_QUANTITY` (a 20-digit cpu_milli overflowed the packers'
    64-bit arrays)."""
    try:
        v = int(row[col])
    except (TypeError, ValueError):
        raise InputError(f"column {col}: expected a non-negative integer, got {row[col]!r}", path, line) from None
    if v < 0:
        raise InputError(f"column {col}: expected a non-negative integer, got {v}", path, line)
    if v * scale > MAX_QUANTITY:
        raise InputError(f"column {col}: {magnitude(v)} is too large (quantities fit in 63 bits)", path, line)
    return v * scale


def read_alibaba(nodes_path: Path, pods_path: Path | None, max_pods: int | None = None) -> tuple[list, list, dict]:
    """Nodes and pods of the Alibaba ``openb`` trace.

    Nodes: ``cpu_milli`` (millicores), ``memory_mib`` (MiB -> bytes), ``gpu``
    (count, extended resource ``nvidia.com/gpu``), ``model`` (label
    ``alibaba.com/gpu-model``), pod capacity 110 (the kubelet default).
    Pods: ``cpu_milli``, ``memory_mib``, ``num_gpu`` GPUs — a fractional
    share (``gpu_milli`` < 1000) takes a whole GPU, as the stock device
    plugin allocates; the trace's GPU-sharing scheduler is not modelled —
    ``gpu_spec`` (``|``-separated models) becomes a required node affinity
    ``In`` on the model label, QoS becomes priority by
    :data:`ALIBABA_PRIORITY`. Every pod is pending (an arrival sequence in
    ``creation_time`` order); ``max_pods`` keeps the first ones. Without
    ``pods_path`` only the nodes are read.

    ``gpu_spec``, ``qos`` and ``creation_time`` may be absent, as in the
    trace's sampled lists (``openb_pod_list_multigpu50.csv`` has only
    ``name, cpu_milli, memory_mib, num_gpu, gpu_milli``; the trace's own
    ``pod_csv_to_yaml.py`` reads them so): no GPU-model constraint,
    priority 0 (Kubernetes' default without a PriorityClass), arrival in
    file order.

    Raises
    ------
    InputError
        A required column missing (file, line 1), a value that is not a
        non-negative integer or an unknown QoS (file and line).
    """
    nodes = []
    for line, row in _csv_rows(nodes_path, ("sn", "cpu_milli", "memory_mib", "gpu", "model")):
        alloc = {"cpu": _csv_int(row, "cpu_milli", nodes_path, line),
                 "memory": _csv_int(row, "memory_mib", nodes_path, line, 2 ** 20), "pods": KUBELET_MAX_PODS}
        g = _csv_int(row, "gpu", nodes_path, line)
        if g:
            alloc[GPU] = g
        labels = {GPU_MODEL_LABEL: row["model"]} if row["model"] else {}
        nodes.append(dict(name=row["sn"], allocatable=alloc, labels=labels, taints=(), unschedulable=False))
    pods = []
    if pods_path is not None:
        rows = _csv_rows(pods_path, ("name", "cpu_milli", "memory_mib", "num_gpu"))
        if rows and "creation_time" in rows[0][1]:
            rows.sort(key=lambda lr: (_csv_int(lr[1], "creation_time", pods_path, lr[0]), lr[0]))
        for line, row in rows[:max_pods]:
            req = {"cpu": _csv_int(row, "cpu_milli", pods_path, line),
                   "memory": _csv_int(row, "memory_mib", pods_path, line, 2 ** 20)}
            g = _csv_int(row, "num_gpu", pods_path, line)
            if g:
                req[GPU] = g
            qos = row.get("qos", "BE")
            if qos not in ALIBABA_PRIORITY:
                raise InputError(f"column qos: expected one of {', '.join(ALIBABA_PRIORITY)}, got {qos!r}",
                                 pods_path, line)
            spec = tuple(s for s in (row.get("gpu_spec") or "").split("|") if s)
            created = _csv_int(row, "creation_time", pods_path, line) if "creation_time" in row else line
            terms = ((("label", GPU_MODEL_LABEL, "In", spec),),) if spec else ()
            pods.append(dict(name=row["name"], requests={k: v for k, v in req.items() if v},
                             priority=ALIBABA_PRIORITY[qos], node=None, node_selector={}, affinity=terms,
                             tolerations=(), preemption_policy="PreemptLowerPriority",
                             created=f"{created:012d}",
                             owner="ReplicaSet", movable=True))
    return nodes, pods, {"source": "alibaba-openb", "gpu_sharing": "fractional gpu_milli counted as a whole GPU"}
