/** The version of Minefleet's server programs (the control plane and the standalone gateway). */
export const VERSION = '0.1.0';
