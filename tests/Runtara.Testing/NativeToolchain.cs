namespace Runtara.Testing;

/// <summary>Whether this machine can link a native AOT executable (the tests that publish one skip without).</summary>
public static class NativeToolchain
{
    /// <summary>Why native AOT tests cannot run here, or null when a C compiler/linker is on PATH.</summary>
    public static string? SkipReason { get; } = OperatingSystem.IsWindows() || FindOnPath("clang") is not null || FindOnPath("cc") is not null || FindOnPath("gcc") is not null
        ? null
        : "Native AOT skipped: no C toolchain (clang, cc or gcc) on PATH to link the executable";

    private static string? FindOnPath(string program) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
