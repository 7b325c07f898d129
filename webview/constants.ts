/** Layout constants shared by the grid's arithmetic and its stylesheet. */
export const ROW_HEIGHT_PX = 24;
export const OVERSCAN_ROWS = 8;
