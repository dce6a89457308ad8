// The one mocks setup for every spec file (Mocha loads all specs before running any).
import { installMocks } from "../tools/mocks";

installMocks("test");
