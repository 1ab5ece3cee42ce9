"""ModelArts dataset manifests (JSON lines) and ModelArts PASCAL VOC XML. Independent of ``augment``."""
