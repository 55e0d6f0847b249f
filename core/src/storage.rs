//! STUB: the narrow storage trait through which core reaches the disk.
