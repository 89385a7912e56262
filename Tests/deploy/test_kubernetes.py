"""The Kubernetes manifests in deploy/kubernetes, checked without a cluster.

Renders them for two shard counts (render.sh), validates every object against the schemas of
Kubernetes 1.29 (the first with backoffLimitPerIndex on by default) with kubernetes-validate
in strict mode, and checks what the schema cannot: the shard count given once reaches both
the Job's completions and the pods' --shard; the pods run as the image's user with an
fsGroup, so the claim is writable; every claim used is one the manifests create; the image
is the one the README builds, taken from the node rather than pulled.

    python3 Tests/deploy/test_kubernetes.py
"""
import os
import re
import subprocess
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy", "kubernetes")
VERSION = "1.29.0"


def validate(path):
    result = subprocess.run(["kubernetes-validate", "-k", VERSION, "--strict", path], capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "ERROR" not in output and "passed" in output, output


def pods(documents):
    return [d for d in documents if d and d.get("kind") == "Job"]


def main():
    dockerfile = open(os.path.join(ROOT, "Dockerfile")).read()
    uid = int(re.search(r"--uid (\d+)", dockerfile).group(1))
    readme = open(os.path.join(ROOT, "README.md")).read()
    merge = list(yaml.safe_load_all(open(os.path.join(DEPLOY, "merge-job.yaml"))))
    validate(os.path.join(DEPLOY, "merge-job.yaml"))
    for shards, parallel in [(8, 4), (3, 3)]:
        rendered = subprocess.run([os.path.join(DEPLOY, "render.sh"), str(shards), str(parallel)],
                                  capture_output=True, text=True, check=True).stdout
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as file:
            file.write(rendered)
        try:
            validate(file.name)
        finally:
            os.unlink(file.name)
        documents = list(yaml.safe_load_all(rendered))
        claims = {d["metadata"]["name"] for d in documents if d and d["kind"] == "PersistentVolumeClaim"}
        assert claims == {"morphic-data"}, claims
        (job,) = pods(documents)
        spec = job["spec"]
        assert spec["completions"] == shards and spec["parallelism"] == parallel, spec
        assert spec["completionMode"] == "Indexed" and "backoffLimitPerIndex" in spec
        (container,) = spec["template"]["spec"]["containers"]
        environment = {e["name"]: e["value"] for e in container.get("env", [])}
        assert environment.get("MORPHIC_SHARDS") == str(shards), environment
        assert '--shard "$JOB_COMPLETION_INDEX/$MORPHIC_SHARDS"' in " ".join(container["args"]), container["args"]
        for document in [job] + pods(merge):
            template = document["spec"]["template"]["spec"]
            security = template["securityContext"]
            assert security["runAsUser"] == uid and security["fsGroup"] == uid and security["runAsNonRoot"], security
            for volume in template["volumes"]:
                if "persistentVolumeClaim" in volume:
                    assert volume["persistentVolumeClaim"]["claimName"] in claims, volume
            for each in template["containers"]:
                image = each["image"]
                assert f"docker build -t {image.split(':')[0]} ." in readme or f"docker build -t {image} ." in readme, image
                assert each.get("imagePullPolicy") == "IfNotPresent", each
    # The template holds no shard count of its own.
    template = open(os.path.join(DEPLOY, "sweep-job.yaml")).read()
    assert re.search(r"completions: \$\{SHARDS\}", template) and "/8" not in template
    print(f"kubernetes: manifests valid for Kubernetes {VERSION}, claim, fsGroup {uid}, shard count once: ok")


if __name__ == "__main__":
    main()
