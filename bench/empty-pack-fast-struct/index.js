// The empty pack, decoding requests' Structs as our pack does (built into policies/dist by the bench).
require("../../policies/dist/fast-struct.js");
require("../empty-pack/index.js");
