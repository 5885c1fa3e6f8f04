// Runs in every test file (setupFilesAfterEnv): the folders it made with tmpDir go when it ends.
import { removeTmpDirs } from "./tmp";

afterAll(removeTmpDirs);
