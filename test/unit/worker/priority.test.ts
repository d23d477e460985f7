import { describe, expect, it } from 'vitest';
import { IDLE_CPU_GROUP, cgroupVersion, cpuCgroupPath, cpuControllerMount, idleGroupDir } from '../../../src/worker/priority.js';

// Shapes of /proc/<pid>/cgroup and /proc/<pid>/mountinfo seen on real machines.
const V1_ROOT = '9:name=systemd:/\n4:memory:/process_api/82b3\n2:cpuacct:/\n1:cpu:/\n0::/\n';
const V1_CONTAINER = '5:cpu,cpuacct:/docker/4f1c\n4:memory:/docker/4f1c\n0::/\n';
const V2_UNIT = '0::/system.slice/distcalc-worker.service\n';
const MOUNTINFO_V1 = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const MOUNTINFO_V1_COMBINED = '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct';
const MOUNTINFO_V2 = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 cgroup2 rw,nsdelegate';
// Inside a container the hierarchy is mounted from the container's own cgroup, not the root.
const MOUNTINFO_CONTAINER = '700 690 0:29 /docker/4f1c /sys/fs/cgroup/cpu ro,nosuid - cgroup cgroup rw,cpu,cpuacct';
// A container with a cgroup namespace sees its own cgroup as the root.
const V2_NAMESPACED = '0::/\n';

describe('finding the CPU cgroup', () => {
  it('when cgroup v1 holds the cpu controller, then the process is placed by its cpu line', () => {
    expect(cgroupVersion(V1_ROOT)).toBe(1);
    expect(cpuCgroupPath(V1_ROOT)).toBe('/');
    expect(cpuCgroupPath(V1_CONTAINER)).toBe('/docker/4f1c');
  });

  it('when only cgroup v2 is there, then the process is placed by its unified line', () => {
    expect(cgroupVersion(V2_UNIT)).toBe(2);
    expect(cpuCgroupPath(V2_UNIT)).toBe('/system.slice/distcalc-worker.service');
  });

  it('when looking for where the cpu controller is mounted, then it takes the mount that shows the root', () => {
    expect(cpuControllerMount(MOUNTINFO_V1, 1)).toBe('/sys/fs/cgroup/cpu');
    expect(cpuControllerMount(MOUNTINFO_V1_COMBINED, 1)).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(cpuControllerMount(MOUNTINFO_V2, 2)).toBe('/sys/fs/cgroup');
    // cpuacct alone is not the cpu controller; a container's mount is not the root.
    expect(cpuControllerMount(MOUNTINFO_V1.split('\n').filter((line) => !line.endsWith(' rw,cpu')).join('\n'), 1)).toBeUndefined();
    expect(cpuControllerMount(MOUNTINFO_CONTAINER, 1)).toBeUndefined();
  });
});

describe('where the calculator may go idle', () => {
  const view = (procCgroup: string, mountinfo: string, subtree = 'cpuset cpu io memory pids') => ({ procCgroup, mountinfo, subtreeControl: () => subtree });

  it('when in the root CPU cgroup with the cpu controller mounted, then a child of the root is used', () => {
    expect(idleGroupDir(view(V1_ROOT, MOUNTINFO_V1))).toBe(`/sys/fs/cgroup/cpu/${IDLE_CPU_GROUP}`);
    expect(idleGroupDir(view(V2_NAMESPACED, MOUNTINFO_V2))).toBe(`/sys/fs/cgroup/${IDLE_CPU_GROUP}`);
  });

  it('when in a systemd unit or a container without a cgroup namespace, then it stays, so as not to escape their limits', () => {
    expect(idleGroupDir(view(V2_UNIT, MOUNTINFO_V2))).toBeUndefined();
    expect(idleGroupDir(view(V1_CONTAINER, MOUNTINFO_CONTAINER))).toBeUndefined();
    // Even where the host's hierarchy is visible.
    expect(idleGroupDir(view(V1_CONTAINER, MOUNTINFO_V1_COMBINED))).toBeUndefined();
  });

  it('when cgroup v2 does not hand the cpu controller down, then no group is made', () => {
    expect(idleGroupDir(view(V2_NAMESPACED, MOUNTINFO_V2, 'memory pids'))).toBeUndefined();
    expect(idleGroupDir(view(V2_NAMESPACED, MOUNTINFO_V2, ''))).toBeUndefined();
  });

  it('when the cpu controller is not mounted at all, then it stays', () => {
    expect(idleGroupDir(view(V1_ROOT, MOUNTINFO_V1.split('\n').filter((line) => !line.endsWith(' rw,cpu')).join('\n')))).toBeUndefined();
  });
});
