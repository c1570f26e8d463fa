namespace Runtara.Management;

public sealed record ImageList(IReadOnlyList<ImageInfo> Images, long TotalCount);
