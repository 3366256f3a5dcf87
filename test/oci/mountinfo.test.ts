/**
 * The host's mount table as the Docker runner reads it (src/runtime/oci/mountinfo.ts), pure:
 *   - mount points with their escapes decoded, and the file system's type;
 *   - container engines' stores, from the mounts engines make there: Docker's and podman's
 *     container roots, kept network namespaces, a container's /dev/shm; nothing from mounts of
 *     the same type elsewhere (a user's overlay, a disk named "merged").
 */
import { describe, expect, it } from "vitest";
import { engineStores, mountLines, submountsOf } from "../../src/runtime/oci/mountinfo.js";

const id = "0d3fe219c7d32b1368ac3c4808dd91cb62b13f4d945dd0dd1b12cfea2297fefd";
const line = (n: number, point: string, type: string, opt = ""): string =>
  `${n} 27 0:${n} / ${point} rw,relatime ${opt}${opt === "" ? "" : " "}- ${type} ${type} rw`;

describe("the host's mount table", () => {
  it("reads each mount point, its escapes decoded, and its type", () => {
    const table = [line(30, "/home/a\\040b", "ext4"), line(31, "/x", "overlay", "shared:1 master:2")].join("\n");
    expect(mountLines(table)).toEqual([
      { point: "/home/a b", fstype: "ext4" },
      { point: "/x", fstype: "overlay" },
    ]);
    expect(submountsOf(["/home", "/home/a/b", "/home/a", "/homer"], "/home")).toEqual(["/home/a", "/home/a/b"]);
  });

  it("finds the stores of Docker's and podman's containers, rootful and rootless", () => {
    const table = [
      line(40, "/var/lib/docker", "ext4", "shared:1"),
      line(41, `/var/lib/docker/overlay2/${id}/merged`, "overlay", "shared:2"),
      line(42, `/var/lib/docker/overlay2/${id}/merged/proc`, "proc"),
      line(43, "/run/docker/netns/301b5938adca", "nsfs"),
      line(44, `/var/lib/docker/containers/${id}/mounts/shm`, "tmpfs"),
      line(45, `/var/lib/containers/storage/overlay/${id}/merged`, "overlay"),
      line(46, `/var/lib/containers/storage/overlay-containers/${id}/userdata/shm`, "tmpfs"),
      line(47, "/run/netns/netns-1234", "nsfs"),
      line(48, `/home/u/.local/share/containers/storage/overlay/${id}/merged`, "fuse.fuse-overlayfs"),
      line(49, "/tmp/srtdk-x/exec/netns/b51784f6b54f", "nsfs"),
    ].join("\n");
    expect(engineStores(table)).toEqual([
      "/home/u/.local/share/containers/storage/overlay",
      "/home/u/.local/share/containers/storage/overlay-containers",
      "/run/docker/netns",
      "/run/netns",
      "/tmp/srtdk-x/exec/netns",
      "/var/lib/containers/storage/overlay",
      "/var/lib/containers/storage/overlay-containers",
      "/var/lib/docker/containers",
      "/var/lib/docker/overlay2",
    ]);
  });

  it("takes nothing from mounts of those types that are not an engine's", () => {
    const table = [
      line(50, "/home/u/merged", "overlay"),
      line(51, "/home/u/build/merged", "overlay"),
      line(52, `/home/u/layers/${id}/merged`, "overlay"),
      line(53, `/srv/overlay2/${id}/merged`, "ext4"),
      line(54, "/proc/1/ns/net", "nsfs"),
      line(55, "/dev/shm", "tmpfs"),
      line(56, "/home/u/mounts/shm", "tmpfs"),
    ].join("\n");
    expect(engineStores(table)).toEqual([]);
  });
});
