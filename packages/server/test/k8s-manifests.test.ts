import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Endpoints } from '@parley/protocol';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config/index.ts';
import { EnvSchema } from '../src/config/env.schema.ts';
import { WS_PATH } from '../src/gateway/index.ts';

const k8s = fileURLToPath(new URL('../../../deploy/k8s/', import.meta.url));
const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((path) => existsSync(path));
const OVERLAYS = ['production', 'staging'];
const NAMESPACED = new Set(['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Ingress', 'ServiceMonitor', 'ConfigMap']);

/** The Kubernetes (and Prometheus Operator) OpenAPI schemas, by apiVersion and kind: `validate()` throws on any violation. */
const SCHEMAS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1 Ingress': Ingress,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor,
};

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

function render(overlay: string): Manifest[] {
  const text = execFileSync(kubectl!, ['kustomize', `${k8s}overlays/${overlay}`], { encoding: 'utf8' });
  return parseAllDocuments(text).map((document) => {
    assert.deepEqual(document.errors, [], `${overlay} renders valid YAML`);
    return document.toJSON() as Manifest;
  });
}

const one = (objects: Manifest[], kind: string) => {
  const found = objects.filter((object) => object.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};

describe('Kubernetes manifests (deploy/k8s, Kustomize)', () => {
  it('the schema check refuses what Kubernetes would refuse', () => {
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'parley' }, spec: { replicas: 'three', selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'parley' }] } } } };
    assert.throws(() => new Deployment(bad as never).validate());
    assert.throws(() => new Service({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'parley' }, spec: { ports: [{ port: 'http' }] } } as never).validate());
  });

  for (const overlay of OVERLAYS) {
    it(`the ${overlay} overlay renders, and its objects agree with each other and with the server's configuration`, (t) => {
      if (!kubectl) {
        // Debian bookworm does not package kubectl; where it is missing this is said, never passed.
        t.skip('kubectl is not installed: the manifests were not rendered');
        return;
      }
      const objects = render(overlay);
      assert.deepEqual(objects.map((object) => object.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
      for (const object of objects) {
        assert.match(object.apiVersion, /^[a-z0-9.]+\/v[0-9a-z]+$|^v1$/, `${object.kind} apiVersion`);
        assert.match(object.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${object.kind} name is a DNS label`);
        if (NAMESPACED.has(object.kind)) assert.ok(object.metadata.namespace, `${object.kind} has the overlay's namespace`);
        assert.equal(object.metadata.labels?.['app.kubernetes.io/name'], 'parley', `${object.kind} is labelled`);
        const Schema = SCHEMAS[`${object.apiVersion} ${object.kind}`];
        assert.ok(Schema, `a schema for ${object.apiVersion} ${object.kind}`);
        assert.doesNotThrow(() => new Schema(object).validate(), `${object.kind} is valid against its schema`);
      }

      const deployment = one(objects, 'Deployment');
      const pod = deployment.spec.template;
      const podLabels = pod.metadata.labels as Record<string, string>;
      const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => podLabels[key] === value);
      assert.ok(matches(deployment.spec.selector.matchLabels), 'the Deployment selects its own pods');
      assert.ok(matches(one(objects, 'Service').spec.selector), 'the Service selects the pods');
      assert.ok(matches(one(objects, 'PodDisruptionBudget').spec.selector.matchLabels), 'the PDB selects the pods');
      assert.deepEqual(one(objects, 'HorizontalPodAutoscaler').spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      const service = one(objects, 'Service');
      assert.ok(Object.entries(one(objects, 'ServiceMonitor').spec.selector.matchLabels).every(([key, value]) => service.metadata.labels?.[key] === value), 'the ServiceMonitor selects the Service');
      assert.equal(one(objects, 'Ingress').spec.rules[0].http.paths[0].backend.service.name, service.metadata.name);

      // The container: probes on the endpoint table's paths, on a port it declares.
      const [container] = pod.spec.containers;
      const ports = new Set(container.ports.map((port: { name: string }) => port.name));
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) assert.ok(ports.has(probe.httpGet.port), 'probes use a declared port');
      assert.ok(ports.has(service.spec.ports[0].targetPort));
      assert.equal(container.readinessProbe.httpGet.path, Endpoints.getReadiness.path);
      assert.equal(container.livenessProbe.httpGet.path, Endpoints.getHealth.path);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(pod.spec.securityContext.runAsNonRoot, true);

      // The configuration the pod gets loads, and every variable in it is one the server reads.
      const configMap = one(objects, 'ConfigMap');
      assert.equal(container.envFrom[0].configMapRef.name, configMap.metadata.name, 'the pod reads the generated ConfigMap (hashed name)');
      const env = { ...configMap.data!, DATABASE_URL: 'postgres://parley@db/parley', REDIS_URL: 'redis://redis:6379', JWT_SECRET: 'x'.repeat(32), ADMIN_API_KEY: 'y'.repeat(16), METRICS_TOKEN: 'z'.repeat(16) };
      for (const name of [...Object.keys(configMap.data!), ...container.env.map((variable: { name: string }) => variable.name)]) assert.ok(name in EnvSchema.properties, `${name} is a server variable`);
      const config = loadConfig({ ...env, DATA_DIR: '/var/lib/parley', NODE_ID: 'parley-0' });

      // Drain timings: the pod is given the whole drain, and readiness fails before the drain starts.
      const { delayMs, drainWindowMs, drainGraceMs } = config.shutdown;
      assert.ok(delayMs > 0, 'readiness fails before the drain starts (the load balancer must notice first)');
      const noticedMs = container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold * 1000;
      assert.ok(noticedMs <= delayMs, `readiness noticed within ${noticedMs} ms, before the drain starts at ${delayMs} ms`);
      assert.ok(pod.spec.terminationGracePeriodSeconds * 1000 >= delayMs + drainWindowMs + drainGraceMs + 5_000,
        `terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds} s covers the drain (${(delayMs + drainWindowMs + drainGraceMs) / 1000} s) with 5 s to close the stores`);
      assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a rolling update never lowers capacity');
    });
  }
  it('the split-roles overlay renders one Deployment, Service, PDB, HPA and ServiceMonitor per ROLE, each selecting only its own pods', (t) => {
    if (!kubectl) {
      t.skip('kubectl is not installed: the manifests were not rendered');
      return;
    }
    const objects = render('split-roles');
    for (const object of objects) {
      assert.equal(object.metadata.namespace, 'parley', `${object.kind} ${object.metadata.name} has the overlay's namespace`);
      const Schema = SCHEMAS[`${object.apiVersion} ${object.kind}`];
      assert.ok(Schema, `a schema for ${object.apiVersion} ${object.kind}`);
      assert.doesNotThrow(() => new Schema(object).validate(), `${object.kind} ${object.metadata.name} is valid against its schema`);
    }
    const secrets = { DATABASE_URL: 'postgres://parley@db/parley', REDIS_URL: 'redis://redis:6379', JWT_SECRET: 'x'.repeat(32), ADMIN_API_KEY: 'y'.repeat(16), METRICS_TOKEN: 'z'.repeat(16) };
    const services = new Map<string, Manifest>();
    for (const role of ['gateway', 'api', 'worker']) {
      const mine = objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/component'] === role);
      assert.deepEqual(mine.map((object) => object.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor'], `the ${role} objects`);
      const deployment = one(mine, 'Deployment');
      const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
      // Selecting this role's pods and no other role's: each selector names the role.
      const selects = (selector: Record<string, string>) => selector['app.kubernetes.io/component'] === role && Object.entries(selector).every(([key, value]) => podLabels[key] === value);
      assert.ok(selects(deployment.spec.selector.matchLabels), `the ${role} Deployment selects its own pods`);
      const service = one(mine, 'Service');
      services.set(role, service);
      assert.ok(selects(service.spec.selector), `the ${role} Service selects only ${role} pods`);
      assert.ok(selects(one(mine, 'PodDisruptionBudget').spec.selector.matchLabels), `the ${role} PDB`);
      assert.ok(Object.entries(one(mine, 'ServiceMonitor').spec.selector.matchLabels).every(([key, value]) => service.metadata.labels?.[key] === value), `the ${role} ServiceMonitor`);
      assert.equal(one(mine, 'HorizontalPodAutoscaler').spec.scaleTargetRef.name, deployment.metadata.name);
      const configMap = one(mine, 'ConfigMap');
      const [container] = deployment.spec.template.spec.containers;
      assert.equal(container.envFrom[0].configMapRef.name, configMap.metadata.name, `the ${role} pods read their own ConfigMap`);
      const config = loadConfig({ ...configMap.data!, ...secrets, DATA_DIR: '/var/lib/parley', NODE_ID: `parley-${role}-0` });
      assert.equal(config.role, role, `the ${role} pods run ROLE=${role}`);
      const { delayMs, drainWindowMs, drainGraceMs } = config.shutdown;
      assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 >= delayMs + drainWindowMs + drainGraceMs + 5_000, `the ${role} pods are given the whole drain`);
    }
    // One Ingress: the socket path to gateways, everything else to api processes, nothing to workers.
    const [ingress, ...more] = objects.filter((object) => object.kind === 'Ingress');
    assert.equal(more.length, 0, 'one Ingress');
    const paths = ingress!.spec.rules[0].http.paths as Array<{ path: string; backend: { service: { name: string } } }>;
    assert.deepEqual(paths.map((path) => [path.path, path.backend.service.name]), [[WS_PATH, services.get('gateway')!.metadata.name], ['/', services.get('api')!.metadata.name]]);
  });
});
