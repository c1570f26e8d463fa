using System.ComponentModel.DataAnnotations;

namespace Runtara.Environment.Runner.Oci;

/// <summary>Which runner launches instances (<c>Runtara:Environment:Runner</c>); an image may choose another in its metadata (<c>"runner"</c>).</summary>
public enum RunnerKind
{
    /// <summary>A plain child process (the default).</summary>
    Process,

    /// <summary>An OCI container run by <c>runc</c> or <c>crun</c> (docs/environment.md, "OCI runner").</summary>
    Oci,
}

/// <summary>
/// Settings of the OCI runner, bound from <c>Runtara:Environment:Oci</c>. Limits given by an image's
/// metadata win over the defaults here. See docs/environment.md, "OCI runner".
/// </summary>
public sealed class OciOptions
{
    /// <summary>The OCI runtime: a path or a name on <c>PATH</c>. Empty probes <c>runc</c>, then <c>crun</c>, and uses the first that runs a container.</summary>
    public string? Runtime { get; set; }

    /// <summary>The runtime's state directory (<c>--root</c>); empty = <c>/run/runtara-oci/&lt;environment scope&gt;</c>.</summary>
    public string? StateRoot { get; set; }

    /// <summary>
    /// Not configuration: the scope of the environment these settings belong to (<see cref="Hosting.EnvironmentOptions.ScopeOf"/>),
    /// set when the options are read. Environments on one machine keep their containers' cgroups and the runtime's
    /// default state apart by it: one that takes over a run of another relaunches it under the same container id.
    /// Empty (settings made by hand) = no scope.
    /// </summary>
    internal string EnvironmentScope { get; set; } = string.Empty;

    /// <summary>User id the instance runs as inside its container (default 65534, <c>nobody</c>); the run directory is given to it.</summary>
    [Range(1, int.MaxValue)]
    public int User { get; set; } = 65534;

    /// <summary>Group id the instance runs as inside its container (default 65534, <c>nogroup</c>).</summary>
    [Range(1, int.MaxValue)]
    public int Group { get; set; } = 65534;

    /// <summary>Parent of the containers' cgroups (<c>/&lt;parent&gt;/&lt;container id&gt;</c> in every controller).</summary>
    [Required]
    public string CgroupParent { get; set; } = "runtara";

    /// <summary>Memory limit of an instance, in MiB, when its image sets none (<c>memoryLimitMb</c>); empty = no limit.</summary>
    [Range(8, int.MaxValue)]
    public int? DefaultMemoryLimitMb { get; set; }

    /// <summary>Most processes and threads an instance may have, when its image sets none (<c>pidsLimit</c>); default 512.</summary>
    [Range(8, int.MaxValue)]
    public int? DefaultPidsLimit { get; set; } = 512;

    /// <summary>CPU limit of an instance in cores (e.g. 0.5), when its image sets none (<c>cpuLimit</c>); empty = no limit.</summary>
    [Range(0.01, 1024)]
    public double? DefaultCpuLimit { get; set; }

    /// <summary>
    /// Warm containers kept per image (created ahead with <c>runc create</c>, so a first launch only pays
    /// <c>runc start</c>), when the image's metadata does not say (<c>"warm"</c>); default 0 = off. Only for
    /// images whose code reads the launch file (the Runtara SDK does): see docs/environment.md, "Warm containers".
    /// </summary>
    [Range(0, 64)]
    public int WarmContainers { get; set; }

    /// <summary>Size of the instance's <c>/tmp</c> (a tmpfs, counted against its memory limit), in MiB.</summary>
    [Range(1, int.MaxValue)]
    public int TmpSizeMb { get; set; } = 64;
}
