using System.Buffers.Binary;

namespace Runtara.Protocol.Images;

/// <summary>
/// Which program of a published folder an image runs when its registration names none. The
/// environment applies it to every zip image; tools that publish a folder (the Aspire hosting's
/// native AOT images) use it to check ahead of the upload that the environment will find one.
/// </summary>
public static class ImageEntrypoint
{
    // Mach-O 64-bit magic numbers, read little-endian (macOS programs; ELF is checked by its bytes).
    private const uint MachO64 = 0xFEEDFACF;
    private const uint MachO64Swapped = 0xCFFAEDFE;

    /// <summary>
    /// The program of a published folder: the <c>.dll</c> of its only <c>*.runtimeconfig.json</c>
    /// (framework-dependent or ReadyToRun), else its only top-level native executable (a native AOT
    /// or self-contained single-file publish); null when neither is unambiguous.
    /// </summary>
    public static string? Infer(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var configs = Directory.GetFiles(folder, "*.runtimeconfig.json", SearchOption.TopDirectoryOnly);
        if (configs.Length == 1)
        {
            var dll = Path.GetFileName(configs[0])[..^".runtimeconfig.json".Length] + ".dll";
            return File.Exists(Path.Combine(folder, dll)) ? dll : null;
        }

        if (configs.Length > 1)
        {
            return null;
        }

        var executables = Directory.GetFiles(folder, "*", SearchOption.TopDirectoryOnly).Where(IsNativeExecutable).ToList();
        return executables is [var single] ? Path.GetFileName(single) : null;
    }

    /// <summary>True for a native program of this platform: <c>.exe</c> on Windows, else an ELF or 64-bit Mach-O file that is not a shared library.</summary>
    public static bool IsNativeExecutable(string path)
    {
        var name = Path.GetFileName(path);
        if (OperatingSystem.IsWindows())
        {
            return name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase);
        }

        // Shared libraries carry the same ELF/Mach-O headers as programs (PIE executables are even the
        // same ELF type), so they are told apart by name.
        if (name.EndsWith(".so", StringComparison.Ordinal) || name.Contains(".so.", StringComparison.Ordinal) || name.EndsWith(".dylib", StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> magic = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length
            && (magic.SequenceEqual("\u007FELF"u8) || BinaryPrimitives.ReadUInt32LittleEndian(magic) is MachO64 or MachO64Swapped);
    }
}
