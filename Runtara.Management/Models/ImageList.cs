namespace Runtara.Management;

/// <summary>One page of registered images.</summary>
/// <param name="Images">The images on this page.</param>
/// <param name="TotalCount">How many images match in all.</param>
public sealed record ImageList(IReadOnlyList<ImageInfo> Images, long TotalCount);
